import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  // Keep `node:` specifiers: node:sqlite has no bare alias.
  removeNodeProtocol: false,
  banner: { js: '#!/usr/bin/env node' },
});
