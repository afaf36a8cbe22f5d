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
export {
  capabilitiesSchema,
  chainSchema,
  configSchema,
  engineSettingsSchema,
  entrySchema,
  providerSchema,
  rateLimitsSchema,
} from './config/config-schema.ts';
export {
  type ConfigSchema,
  formatPath,
  type ParseConfigOptions,
  parseConfig,
  sortIssues,
  uniqueIssues,
} from './config/parse-config.ts';
export { pickEngineConfig } from './config/pick-engine-config.ts';
export { createRedactor, type Redact, type RedactorOptions } from './config/redact-secrets.ts';
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
  openAIErrorResponse,
  ProviderHTTPError,
  QueueFullError,
  RouteNotFoundError,
  StoreUnavailableError,
  StreamInterruptedError,
  toOpenAIError,
  UnknownChainError,
  UnknownTargetError,
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
export {
  type AttemptFailureKind,
  type AttemptOutcome,
  type AttemptRecord,
  attemptFailureKinds,
  attemptOutcomeSchema,
  attemptRecordSchema,
  countSentAttempts,
  isErroredAttempt,
  isFallback,
  isRateLimitedAttempt,
  type RequestOutcome,
  type RequestRecord,
  rateLimitFailureKinds,
  rateLimitSkipKinds,
  requestOutcomeSchema,
  requestRecordSchema,
  type SkipKind,
  skipKinds,
  type TokenUsage,
  tokenUsageSchema,
} from './events/request-record.ts';
export { type FormatDurationOptions, formatDuration } from './format/format-duration.ts';
export { errorInDialect, type HandleOptions } from './http/handle-request.ts';
export { jsonDepthLimit, pathDeeperThan } from './http/parse-json-body.ts';
export { type ClassifyFailureOptions, classifyFailure, reclassify } from './providers/classify-failure.ts';
export { definePreset } from './providers/define-preset.ts';
export { type OpenAIHeaderBucketsOptions, openAIHeaderBuckets } from './providers/openai-header-buckets.ts';
export { presets, resolvePreset } from './providers/presets/index.ts';
export type {
  DailyResetClock,
  ErrorAnswer,
  FailureClassification,
  FailureKind,
  HeaderBucketSpec,
  ProviderPreset,
  ProviderPresetSettings,
  RateLimits,
  ResetFormat,
  StatedLimit,
} from './providers/provider-preset.ts';
export type {
  BlockRecord,
  BlockRelease,
  BlockState,
  BucketDemand,
  BucketKey,
  BucketKind,
  BucketObservation,
  BucketSource,
  BucketState,
  BucketWindow,
  FailureRecord,
  LearntLimit,
  LimitEvidence,
  LogEntry,
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
  LearnLimit,
  RateLimitStore,
  RefuseInput,
  RefuseResult,
  SettleBucket,
  SettleInput,
  StoreSnapshot,
  ViewInput,
} from './rate-limit/rate-limit-store.ts';
export type { SkipState } from './rate-limit/rate-limit-tracker.ts';
export { type BufferedBodyOptions, withBufferedBody } from './routing/buffered-body.ts';
export { type FailurePolicy, failurePolicy } from './routing/failure-policy.ts';
export {
  type PromptRun,
  type PromptTarget,
  parsePromptTarget,
  type RunPromptOptions,
  runPrompt,
} from './run-prompt.ts';
export type {
  BlockStatus,
  BucketStatus,
  ChainStatus,
  EntryState,
  EntryStatus,
} from './status/chain-status.ts';
export { type ChunkRead, type ChunkSource, withChunkSource } from './streaming/chunk-source.ts';
export {
  createMemoryResponseStore,
  type MemoryResponseStoreOptions,
  type ResponseStore,
  type StoredResponse,
} from './surfaces/responses/response-store.ts';
