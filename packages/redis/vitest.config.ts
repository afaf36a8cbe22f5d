import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@429chain/source'] },
  ssr: { resolve: { conditions: ['@429chain/source'] } },
  test: {
    name: 'redis',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Real redis-server and proxy processes start and stop in these tests.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
