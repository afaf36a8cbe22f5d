import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'stores/sqlite-store': 'src/stores/sqlite-store.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/mock-provider': 'src/testing/mock-provider.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'neutral',
  dts: true,
  clean: true,
  sourcemap: true,
  // Keep `node:` specifiers: node:sqlite has no bare alias.
  removeNodeProtocol: false,
  external: ['vitest', /^node:/],
});
