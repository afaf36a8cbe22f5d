import { defineProject } from 'vitest/config';

/**
 * End-to-end tests: the built dashboard, served by the REAL server (`startServer`, a dev
 * dependency: the server does not depend on the dashboard, the tests hand it `dist/`)
 * over loopback mock providers, driven by Debian's Chromium through playwright-core.
 */
export default defineProject({
  resolve: {
    conditions: ['@429chain/source'],
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
