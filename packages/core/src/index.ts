/**
 * @429chain/core: the embeddable engine. `createChain()` returns a real `fetch`
 * that routes OpenAI requests through chains of free-tier providers.
 */

export type {
  Capabilities,
  ChainConfig,
  ChainConfigInput,
  ChainDefinition,
  EntryConfig,
  ProviderConfig,
  RateLimitsConfig,
  SettingsConfig,
} from './config/config-schema.ts';
export { configSchema } from './config/config-schema.ts';
export { formatPath, type ParseConfigOptions, parseConfig } from './config/parse-config.ts';
export { fingerprintOf } from './config/resolve-config.ts';
export { type Chain, type CreateChainOptions, createChain, type ResetOptions } from './create-chain.ts';
export {
  type AttemptSummary,
  ChainClosedError,
  ChainError,
  type ChainErrorOptions,
  ChainExhaustedError,
  ConfigError,
  type ConfigIssue,
  InvalidRequestError,
  isAbortError,
  type OpenAIErrorBody,
  ProviderHTTPError,
  QueueFullError,
  RouteNotFoundError,
  StoreUnavailableError,
  StreamInterruptedError,
  toOpenAIError,
  UnknownChainError,
} from './errors.ts';
export type {
  ChainEventListener,
  ChainEventMap,
  ChainEventName,
} from './events/chain-events.ts';
export { type Logger, silentLogger } from './events/logger.ts';
export {
  type ConsoleRequestLoggerOptions,
  createConsoleRequestLogger,
  noopRequestLogger,
  type RequestLogger,
} from './events/request-logger.ts';
export type {
  AttemptOutcome,
  AttemptRecord,
  RequestOutcome,
  RequestRecord,
  TokenUsage,
} from './events/request-record.ts';
export type { HandleOptions } from './http/handle-request.ts';
export { presets, resolvePreset } from './providers/presets/index.ts';
export type {
  DailyResetClock,
  ErrorAnswer,
  FailureClassification,
  FailureKind,
  HeaderBucketSpec,
  ProviderPreset,
  RateLimits,
  ResetFormat,
} from './providers/provider-preset.ts';
export type {
  BlockRecord,
  BlockState,
  BucketDemand,
  BucketKey,
  BucketKind,
  BucketObservation,
  BucketSource,
  BucketState,
  BucketWindow,
} from './rate-limit/bucket.ts';
export {
  createFallbackStore,
  FallbackStore,
  type FallbackStoreOptions,
  type FallbackStoreStatus,
} from './rate-limit/fallback-store.ts';
export {
  createMemoryStore,
  MemoryStore,
  type MemoryStoreOptions,
  type MemoryStoreState,
} from './rate-limit/memory-store.ts';
export type {
  AcquireInput,
  AcquireResult,
  BlockInput,
  RateLimitStore,
  SettleBucket,
  SettleInput,
  StoreSnapshot,
} from './rate-limit/rate-limit-store.ts';
export { withBufferedBody } from './routing/buffered-body.ts';
export type {
  BlockStatus,
  BucketStatus,
  ChainStatus,
  EntryState,
  EntryStatus,
} from './status/chain-status.ts';
export { type ChunkRead, type ChunkSource, withChunkSource } from './streaming/chunk-source.ts';
