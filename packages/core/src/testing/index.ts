/**
 * Test helpers for people who build on 429chain: `@429chain/core/testing`.
 * The store conformance suite requires vitest (an optional peer dependency of core);
 * the mock provider alone is also at `@429chain/core/testing/mock-provider`, without it.
 */

export {
  completionReply,
  errorReply,
  type MockProvider,
  type MockProviderOptions,
  type MockReply,
  type MockRequest,
  startMockProvider,
  streamReply,
} from './mock-provider.ts';
export type { RateLimitStoreSuiteOptions } from './store-conformance.ts';
export { describeRateLimitStore } from './store-conformance.ts';
