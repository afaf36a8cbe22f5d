import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The bin: one ESM file with a shebang (tsup marks it executable).
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    dts: false,
    clean: false,
    sourcemap: true,
  },
  {
    // The library: the program factory, with types, for embedding or testing the CLI.
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    clean: false,
    sourcemap: true,
  },
]);
