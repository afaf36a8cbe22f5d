import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@429chain/source'] },
  ssr: { resolve: { conditions: ['@429chain/source'] } },
  test: {
    name: 'cli',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
