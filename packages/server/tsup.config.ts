import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  // `admin-api` is types only: the admin API's request and response types, for clients.
  dts: { entry: { index: 'src/index.ts', 'admin-api': 'src/admin-api/admin-api.ts' } },
  clean: true,
  sourcemap: true,
  // Keep `node:` specifiers: node:sqlite has no bare alias.
  removeNodeProtocol: false,
  banner: { js: '#!/usr/bin/env node' },
});
