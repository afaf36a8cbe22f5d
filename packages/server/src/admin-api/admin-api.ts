/**
 * `@429chain/server/admin-api`: the TypeScript types of the admin API (`/api`), derived from
 * the zod schemas its handlers validate with and its OpenAPI document is generated from.
 * Type-only: import it with `import type`. The engine's own types the API carries
 * (records, status, events) are re-exported from `@429chain/core`.
 */
import type { z } from 'zod';
import type { adminEndpoints, adminEventNames } from './admin-endpoints.ts';
import type { chainListSchema, chainUpdateSchema } from './chain-schemas.ts';
import type { EndpointInput } from './endpoint.ts';
import type { errorBodySchema, fieldIssueSchema } from './error-schema.ts';
import type {
  presetViewSchema,
  providerKeyViewSchema,
  providerListSchema,
  providerPatchSchema,
  providerViewSchema,
} from './provider-schemas.ts';
import type { resetAnswerSchema, resetInputSchema } from './rate-limit-schemas.ts';
import type { requestPageSchema, requestSummarySchema } from './request-log-schemas.ts';
import type { serverInfoSchema, serverModeSchema, storeInfoSchema } from './server-info-schema.ts';
import type { settingsAnswerSchema, settingsPatchSchema } from './settings-schemas.ts';
import type { testAnswerSchema, testInputSchema } from './test-schemas.ts';
import type {
  usageBucketSchema,
  usageCountsSchema,
  usageGroupBySchema,
  usagePointSchema,
  usageStatsSchema,
  usageTotalsSchema,
} from './usage-stats-schemas.ts';

export type {
  AttemptFailureKind,
  AttemptOutcome,
  AttemptRecord,
  BlockStatus,
  BucketStatus,
  ChainDefinition,
  ChainEventMap,
  ChainStatus,
  EntryConfig,
  EntryState,
  EntryStatus,
  RateLimitsConfig,
  RequestOutcome,
  RequestRecord,
  SkipKind,
  TokenUsage,
} from '@429chain/core';
export type { Endpoint, EndpointAnswer, EndpointInput } from './endpoint.ts';

/** Every endpoint of the admin API, by name (see `adminEndpoints`). */
export type AdminEndpoints = typeof adminEndpoints;
/** An OpenAI-shaped error answer. */
export type ErrorBody = z.output<typeof errorBodySchema>;
/** One validation problem of an error answer, with its path relative to the object sent. */
export type FieldIssue = z.output<typeof fieldIssueSchema>;
/** Where the proxy's config came from. */
export type ServerMode = z.output<typeof serverModeSchema>;
/** The rate-limit store's health. */
export type StoreInfo = z.output<typeof storeInfoSchema>;
/** `GET /api/info`. */
export type ServerInfo = z.output<typeof serverInfoSchema>;
/** One provider preset of `GET /api/presets`. */
export type ProviderPresetView = z.output<typeof presetViewSchema>;
/** One key of a provider, masked. */
export type ProviderKeyView = z.output<typeof providerKeyViewSchema>;
/** A provider as the admin API shows it. */
export type ProviderView = z.output<typeof providerViewSchema>;
/** `GET /api/providers`. */
export type ProviderList = z.output<typeof providerListSchema>;
/** `POST /api/providers`. */
export type ProviderInput = EndpointInput<AdminEndpoints['createProvider']>;
/** `PATCH /api/providers/{id}`. */
export type ProviderPatch = z.input<typeof providerPatchSchema>;
/** `GET /api/chains`. */
export type ChainList = z.output<typeof chainListSchema>;
/** `PUT /api/chains/{name}`. */
export type ChainUpdate = z.input<typeof chainUpdateSchema>;
/** `GET /api/settings`. */
export type SettingsView = z.output<typeof settingsAnswerSchema>;
/** `PATCH /api/settings`. */
export type SettingsPatch = z.input<typeof settingsPatchSchema>;
/** `POST /api/ratelimits/reset`. */
export type ResetInput = z.input<typeof resetInputSchema>;
/** What `POST /api/ratelimits/reset` answers. */
export type ResetAnswer = z.output<typeof resetAnswerSchema>;
/** One row of the request log (`GET /api/requests`). */
export type RequestSummary = z.output<typeof requestSummarySchema>;
/** `GET /api/requests`. */
export type RequestPage = z.output<typeof requestPageSchema>;
/** Width of one time bucket of `GET /api/stats`. */
export type UsageBucket = z.output<typeof usageBucketSchema>;
/** What the series of `GET /api/stats` are split by. */
export type UsageGroupBy = z.output<typeof usageGroupBySchema>;
/** Counts of one group over one bucket (or the whole range). */
export type UsageCounts = z.output<typeof usageCountsSchema>;
/** One group in one bucket. */
export type UsagePoint = z.output<typeof usagePointSchema>;
/** One group over the whole range. */
export type UsageTotals = z.output<typeof usageTotalsSchema>;
/** `GET /api/stats`. */
export type UsageStats = z.output<typeof usageStatsSchema>;
/** `POST /api/test`. */
export type TestInput = z.input<typeof testInputSchema>;
/** What `POST /api/test` answers without streaming. */
export type TestAnswer = z.output<typeof testAnswerSchema>;
/** The name of an event of `GET /api/events`. */
export type AdminEventName = (typeof adminEventNames)[number];
