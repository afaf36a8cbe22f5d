import type { TokenUsage } from '../events/request-record.ts';
import type { BucketKind, BucketWindow } from '../rate-limit/bucket.ts';

/**
 * How a failed upstream answer is treated (docs/rate-limits.md, "What each failure does").
 *
 * - `rate-limit`: a short-window 429 (per minute, per second). Next entry at once;
 *   the scope cools down until `retryAt`, else the default cooldown.
 * - `quota`: a daily or monthly quota is used up. Next entry; exhausted until `retryAt`,
 *   else the provider's next daily reset.
 * - `no-credit`: `insufficient_quota`, 402, credits depleted. Next entry; the key is parked.
 * - `too-large`: 413 or a 429 "request too large". Next entry; no state change.
 * - `context-length`: 400 `context_length_exceeded`. Next entry with a larger window.
 * - `invalid-request`: content policy, other 400/422. Returned to the client as is.
 * - `auth`: 401/403. Next entry; the key is marked invalid.
 * - `not-found`: 404 model not found. Next entry; the entry is marked broken.
 * - `server`: 5xx, 529, overloaded, connection reset. One retry on the same entry, then next.
 */
export type FailureKind =
  | 'rate-limit'
  | 'quota'
  | 'no-credit'
  | 'too-large'
  | 'context-length'
  | 'invalid-request'
  | 'auth'
  | 'not-found'
  | 'server';

/**
 * A limit an error answer states: in its headers (OpenRouter's `X-RateLimit-Limit` on a 429), in
 * its body (Gemini's `quotaValue`), or in its wording (Groq's "Limit 30", GitHub's "50 per
 * 86400s"). The engine keeps each as a learnt bucket.
 */
export interface StatedLimit {
  kind: 'requests' | 'tokens';
  /** The limit. */
  limit: number;
  /** The window the provider names (`minute` for RPM), when it names one. */
  window?: BucketWindow | undefined;
  /** A window length the provider states in numbers (ms), e.g. GitHub's "per 86400s". */
  windowMs?: number | undefined;
  /** Where the answer said it. */
  evidence: 'header' | 'body' | 'message';
  /** The header it was read from, for `header` evidence (a preset's header buckets may read it already). */
  header?: string | undefined;
  /** Whether it limits the key across its models, or the key and this model. @default the verdict's scope */
  scope?: 'key' | 'model' | undefined;
}

/** The verdict on one failed upstream answer. */
export interface FailureClassification {
  kind: FailureKind;
  /**
   * Which scope the limit applies to: the key across all its models, or the key and
   * this model. Only meaningful for `rate-limit`, `quota` and `no-credit`.
   * @default 'model' for rate-limit and quota, 'key' for no-credit and auth
   */
  scope?: 'key' | 'model' | undefined;
  /** The window the limit describes, when the answer says (e.g. `day` for RPD). */
  window?: BucketWindow | undefined;
  /** When the limit clears (epoch ms), when the answer says. */
  retryAt?: number | undefined;
  /** What the limit counts, when the answer says. */
  subject?: 'requests' | 'tokens' | undefined;
  /** The limits the answer states; each becomes a learnt bucket. */
  limits?: StatedLimit[] | undefined;
  /** Human-readable reason for the trail, e.g. `429 requests per day`. */
  reason: string;
  /** The provider's own error message, for the client when the error is returned as is. */
  message: string;
  /** The provider's error code (`rate_limit_exceeded`, `1300`, `RateLimitReached`, …). */
  code?: string | undefined;
  /** The provider's error type, when it has one. */
  type?: string | undefined;
  /** The provider's `param`, when it has one. */
  param?: string | undefined;
}

/** An upstream error answer, as the classifier sees it. */
export interface ErrorAnswer {
  /** HTTP status; for an error inside a 200 stream, the status the error carries (or 500). */
  status: number;
  headers: Headers;
  /** The raw body text (may be empty, JSON, or prose). */
  body: string;
  /** Current time (epoch ms), to turn relative hints into `retryAt`. */
  now: number;
}

/** How a date is written in a reset header. */
export type ResetFormat =
  /** Go-style duration until reset: `2m59.56s`, `370ms`, `6m0s`; a bare number is seconds. */
  | 'duration'
  /** Seconds until reset, possibly fractional: `33011.38`. */
  | 'seconds'
  /** An absolute epoch; milliseconds or seconds, told apart by magnitude. */
  | 'epoch'
  /** Any of the above, or an HTTP date. */
  | 'auto'
  /** No reset header: the window ends at the next wall-clock boundary (Mistral's fixed minute). */
  | 'window-end';

/** One bucket a provider describes in its response headers. */
export interface HeaderBucketSpec {
  kind: Exclude<BucketKind, 'concurrency'>;
  window: BucketWindow;
  /** Whether the limit is per key (across models) or per key and model. */
  scope: 'key' | 'model';
  /** Header with the limit (case-insensitive). */
  limitHeader?: string | undefined;
  /** Header with what is left. */
  remainingHeader: string;
  /** Header with the reset time. */
  resetHeader?: string | undefined;
  /** How the reset header is written. @default 'auto' */
  resetFormat?: ResetFormat | undefined;
}

/** Where a provider's daily quotas reset. */
export type DailyResetClock =
  /** 00:00 UTC (OpenRouter, Cloudflare, and the default). */
  | 'utc'
  /** 00:00 America/Los_Angeles (Gemini). */
  | 'pacific';

/** Manual limits, as in the config file's `rateLimits`. */
export interface RateLimits {
  requestsPerMinute?: number | undefined;
  requestsPerDay?: number | undefined;
  tokensPerMinute?: number | undefined;
  tokensPerDay?: number | undefined;
  concurrentRequests?: number | undefined;
}

/** The parts of the request the preset may need while reading an answer. */
export interface PresetContext {
  model: string;
}

/**
 * A provider is data plus small hooks. Every preset states its base URL, its auth
 * header, the buckets its headers describe, and how to read its error answers.
 */
export interface ProviderPreset {
  /** Preset id used as the config's `type`, e.g. `groq`. */
  id: string;
  /** Display name, e.g. `Groq`. */
  name: string;
  /**
   * Default base URL, without a trailing slash. `{account}` is replaced by the
   * provider's `accountId`. Undefined when the user must give one (`generic`).
   */
  baseUrl?: string | undefined;
  /** Environment variables that commonly hold this provider's key, first wins. */
  envKeys: string[];
  /** Models to offer first (free-tier friendly first); the first is the default. */
  suggestedModels: string[];
  /** Whether a key is needed at all (false for a local Ollama). @default true */
  keyRequired?: boolean | undefined;
  /** Headers that carry the key. @default `{ authorization: 'Bearer <key>' }` */
  authHeaders?: ((key: string) => Record<string, string>) | undefined;
  /** The buckets its response headers describe. */
  headerBuckets: HeaderBucketSpec[];
  /** Where its daily quotas reset. @default 'utc' */
  dailyReset?: DailyResetClock | undefined;
  /** Whether it counts `max_tokens` against the token budget before running (Cerebras, Groq). */
  chargesMaxTokensUpfront?: boolean | undefined;
  /** Whether it accepts `stream_options.include_usage`. @default true */
  acceptsStreamOptions?: boolean | undefined;
  /** Whether it rate-limits at all; a local Ollama is never cooled down. @default true */
  rateLimited?: boolean | undefined;
  /**
   * Whether it serves `GET /models`, which costs no quota: a broken entry is then probed with it
   * in the background (`settings.backgroundProbes`). @default true
   */
  modelsEndpoint?: boolean | undefined;
  /** Published free-tier limits, to pre-fill forms; not enforced unless configured. */
  knownLimits?: RateLimits | undefined;
  /**
   * Rewrites a chat body into what this provider accepts, consistently across the whole history
   * (tool-call id shapes, fields it rejects), before every send (see `portable-history.ts`).
   * @default drops provider-only assistant fields (`reasoning_content`, `x_groq`, …)
   */
  rewriteRequest?: ((body: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** Reads an error answer: the shared classifier, or a preset's own rules around it. */
  classify(answer: ErrorAnswer, context: PresetContext): FailureClassification;
  /** Reads usage a provider puts outside a chunk's `usage` (Groq's `x_groq.usage`). */
  readUsage?: ((chunk: Record<string, unknown>) => TokenUsage | undefined) | undefined;
}

/**
 * What a preset is written as: a {@link ProviderPreset} whose `classify` may be left out (the
 * shared classifier then reads its errors). {@link definePreset} fills it in.
 */
export type ProviderPresetSettings = Omit<ProviderPreset, 'classify'> & {
  /**
   * Reads an error answer. Presets wrap the shared classifier with their own rules.
   * @default the shared classifier, `classifyFailure(answer)`
   */
  classify?: ProviderPreset['classify'] | undefined;
};
