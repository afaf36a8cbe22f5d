/**
 * Test helpers for people who build on 429chain: `@429chain/core/testing`.
 * Requires vitest (an optional peer dependency of core).
 */
export type { RateLimitStoreSuiteOptions } from './store-conformance.ts';
export { describeRateLimitStore } from './store-conformance.ts';
