/**
 * What the admin API answers. Engine types come from `@429chain/core` (type-only:
 * nothing of core is bundled); the server's own views are described here.
 */
import type { ChainDefinition, RateLimitsConfig, RequestRecord } from '@429chain/core';

export type {
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
  TokenUsage,
} from '@429chain/core';

/** `GET /api/info`. */
export interface ServerInfo {
  name: string;
  version: string;
  /** `demo` serves simulated providers. */
  mode: 'file' | 'environment' | 'demo';
  startedAt: number;
  config: { path: string | null; persisted: boolean; format: string };
  store: { type: string; up: boolean; fallback?: boolean };
  defaultChain: string | null;
}

/** One provider preset of `GET /api/presets`. */
export interface ProviderPresetView {
  id: string;
  name: string;
  baseUrl: string | null;
  needsBaseUrl: boolean;
  needsAccountId: boolean;
  keyRequired: boolean;
  envKeys: string[];
  suggestedModels: string[];
  knownLimits: RateLimitsConfig | null;
}

/** One key of a provider, masked: the key itself never leaves the server. */
export interface ProviderKeyView {
  index: number;
  /** `…abcd`, or a `${NAME}` reference. */
  masked: string;
  fromEnvironment: boolean;
  fingerprint: string | null;
}

/** A provider of `GET /api/providers`. */
export interface ProviderView {
  id: string;
  name: string;
  type: string;
  baseUrl: string | null;
  baseUrlOverridden: boolean;
  accountId: string | null;
  timeout: number | null;
  headers: Record<string, string>;
  rateLimits: RateLimitsConfig | null;
  models: string[];
  keys: ProviderKeyView[];
  /** Chains whose entries use it. */
  usedBy: string[];
  preset: { id: string; name: string; knownLimits: RateLimitsConfig | null } | null;
}

/** `GET /api/chains`. */
export interface ChainList {
  data: ChainDefinition[];
  defaultChain: string | null;
  /** Whether edits are written to a config file (false in demo and environment modes). */
  persisted: boolean;
}

/** `GET /api/settings`. */
export interface SettingsView {
  settings: Record<string, unknown>;
  persisted: boolean;
  path?: string | null;
}

/** One row of the request log (the request without its trail). */
export interface RequestSummary extends Omit<RequestRecord, 'attempts'> {
  /** Attempts that sent a request upstream (skips not counted). */
  attemptCount: number;
  /** Answered by another candidate than the first usable one. */
  fallback: boolean;
  /** `metadata.client`: the name of the client key, when there is one. */
  client?: string | undefined;
}

/** `GET /api/requests`. */
export interface RequestPage {
  items: RequestSummary[];
  nextCursor: string | null;
}

/** Counts of one provider in one time bucket (or the whole range). */
export interface UsageCounts {
  requests: number;
  answered: number;
  failed: number;
  cancelled: number;
  fallbacks: number;
  attempts: number;
  skipped: number;
  rateLimited: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  latencyAvgMs: number | null;
}

/** `GET /api/stats`. */
export interface UsageStats {
  from: number;
  to: number;
  bucket: 'minute' | 'hour' | 'day';
  bucketMs: number;
  groupBy: 'provider' | 'model' | 'chain' | 'client';
  groups: string[];
  series: Array<UsageCounts & { group: string; bucketStart: number }>;
  totals: Array<UsageCounts & { group: string }>;
  /** Every group together. */
  overall: UsageCounts;
}

/** `POST /api/test` without streaming (and a failed streaming test). */
export interface TestAnswer {
  ok: boolean;
  status: number;
  content: string | null;
  answer: unknown;
  record: RequestRecord;
}
