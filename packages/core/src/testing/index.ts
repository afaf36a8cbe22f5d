/**
 * Test helpers for people who build on 429chain: `@429chain/core/testing`.
 * Requires vitest (an optional peer dependency of core).
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
