import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/**
 * End-to-end tests: the built dashboard, served by the REAL server (`startServer`)
 * over loopback mock providers, driven by Debian's Chromium through playwright-core.
 * The server package is reached by path (it depends on this package, so this one
 * cannot depend on it back).
 */
export default defineProject({
  resolve: {
    conditions: ['@429chain/source'],
    alias: { '@429chain/server': fileURLToPath(new URL('../server/src/index.ts', import.meta.url)) },
  },
  ssr: { resolve: { conditions: ['@429chain/source'] } },
  test: {
    name: 'dashboard',
    environment: 'node',
    include: ['e2e/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['e2e/build-dashboard.ts'],
    testTimeout: 30_000,
    // A busy machine (the whole suite runs in parallel) can take more than the default second.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
