import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  clean: true,
  sourcemap: true,
  // Keep `node:` specifiers as written.
  removeNodeProtocol: false,
  external: ['ioredis', '@429chain/core', /^node:/],
});
