import { z } from 'zod';
import { findControlCharacter } from './find-control-character.ts';

/**
 * The engine's config schema: providers, chains and engine settings, as `createChain()`
 * receives them. The server's config file schema extends it with the proxy's settings;
 * together they accept the original 429chain v1 `config.yaml` unchanged.
 */

const milliseconds = z.number().int().min(0);
const positiveCount = z.number().int().positive();

/** Manual limits for when headers are missing or lie. */
export const rateLimitsSchema = z.strictObject({
  /** Requests per minute. */
  requestsPerMinute: positiveCount.optional(),
  /** Requests per day (resets at the provider's daily reset). */
  requestsPerDay: positiveCount.optional(),
  /** Tokens per minute (prompt estimate plus max_tokens where charged up front). */
  tokensPerMinute: positiveCount.optional(),
  /** Tokens per day. */
  tokensPerDay: positiveCount.optional(),
  /** Requests in flight at once. */
  concurrentRequests: positiveCount.optional(),
  /**
   * Whether the limits apply per key and model, or per key across its models.
   * @default 'model'
   */
  scope: z.enum(['model', 'key']).optional(),
});

/** What an entry can do; requests that need more skip it. */
export const capabilitiesSchema = z.strictObject({
  /** Context window in tokens; longer prompts skip the entry. */
  contextWindow: positiveCount.optional(),
  /** Accepts `tools` / function calling. @default true */
  tools: z.boolean().optional(),
  /** Accepts image inputs. @default true */
  vision: z.boolean().optional(),
  /** Accepts `response_format` JSON modes. @default true */
  jsonMode: z.boolean().optional(),
  /** Continues an assistant prefill, so it can finish a stream another entry began. @default false */
  prefill: z.boolean().optional(),
  /** With `vision: false`, take requests with images, the images replaced by a note, instead of skipping the entry. @default false */
  dropImages: z.boolean().optional(),
});

const identifier = (what: string) =>
  z
    .string()
    .min(1, { error: `${what} must not be empty` })
    .refine((value) => !value.includes('/'), { error: `${what} must not contain "/"` })
    .refine((value) => findControlCharacter(value) === undefined, {
      error: (issue) =>
        `${what} must not contain control characters (found ${findControlCharacter(String(issue.input))})`,
    });

/** One provider account (or several keys of it). */
export const providerSchema = z.strictObject({
  /** Unique id used by chain entries. */
  id: identifier('provider id'),
  /** Display name. */
  name: z.string().min(1).optional(),
  /** Preset id (`groq`, `openrouter`, …, `generic`) or a v1 type (`generic-openai`, `google-ai`). */
  type: z.string().min(1),
  /** The API key (v1). */
  apiKey: z.string().min(1, { error: 'apiKey must not be empty' }).optional(),
  /** Several keys; each has its own quota and is tried in turn. */
  apiKeys: z
    .array(z.string().min(1, { error: 'API key must not be empty' }))
    .min(1)
    .optional(),
  /** Overrides the preset's base URL; required for `generic`. */
  baseUrl: z.url({ error: 'baseUrl must be a valid URL' }).optional(),
  /** Account id substituted into `{account}` in the base URL (Cloudflare). */
  accountId: z.string().min(1).optional(),
  /** Upstream timeout in ms for this provider, overriding `settings.requestTimeoutMs` (v1). */
  timeout: z.number().int().min(1).optional(),
  /** Extra headers sent with every request (e.g. OpenRouter's `HTTP-Referer`). */
  headers: z.record(z.string(), z.string()).optional(),
  /** Manual limits. */
  rateLimits: rateLimitsSchema.optional(),
  /** Models offered in pickers; informational. */
  models: z.array(z.string().min(1)).optional(),
});

/** One provider + model step of a chain. */
export const entrySchema = z.strictObject({
  provider: z.string().min(1, { error: 'Chain entry provider must not be empty' }),
  model: z.string().min(1, { error: 'Chain entry model must not be empty' }),
  /** What this entry can do. */
  capabilities: capabilitiesSchema.optional(),
  /** Manual limits for this entry only (per key and model). */
  rateLimits: rateLimitsSchema.omit({ scope: true }).optional(),
  /**
   * Entries of a chain with `strategy: expiring-first` that share a tier are interchangeable;
   * lower tiers are tried first, in strict order between tiers. @default 1
   */
  tier: positiveCount.optional(),
});

/** An ordered list of entries, tried in turn. */
export const chainSchema = z.strictObject({
  /** Clients select the chain by sending this as `model`. */
  name: identifier('chain name'),
  /** `embedding` chains serve `POST /v1/embeddings`. @default 'chat' */
  kind: z.enum(['chat', 'embedding']).optional(),
  entries: z.array(entrySchema).min(1, { error: 'a chain needs at least one entry' }),
  /**
   * `ordered` tries the entries in order. `expiring-first` spends, within a tier, the capacity
   * that expires soonest first (a per-minute window before a daily pool), tries entries whose
   * limits are unknown early, and paces daily pools to their reset. @default 'ordered'
   */
  strategy: z.enum(['ordered', 'expiring-first']).optional(),
});

/**
 * Engine settings: what `createChain()` reads. The server's settings schema extends this one
 * with the proxy's own keys (port, client and admin keys, database, store), so the config
 * file is validated by the server's schema and `createChain()` by this one, where a server key
 * is an error.
 */
export const engineSettingsSchema = z.strictObject({
  // Client surfaces
  /**
   * Model names clients send, as globs (`*` matches anything), mapped onto a chain or a
   * `provider/model`: coding agents send their own ids (`"claude-*": default`). A chain name or
   * `provider/model` the client sends is never aliased.
   */
  modelAliases: z.record(z.string().min(1), z.string().min(1)).optional(),
  /**
   * An exhausted chain's 429 tells clients to retry after `Retry-After`; when that is further
   * off than this (ms), it also says `x-should-retry: false`, so SDKs fail fast instead of
   * sleeping. @default 10000
   */
  clientRetryMaxWaitMs: milliseconds.optional(),
  /** Responses kept for `previous_response_id` and `GET /v1/responses/{id}` (the oldest go first). @default 1000 in memory, 10000 in the server's database */
  responseStoreMaxResponses: positiveCount.optional(),

  // Routing
  /** Chain used when `model` names no chain and no provider/model. */
  defaultChain: z.string().min(1, { error: 'defaultChain must not be empty' }).optional(),
  /**
   * The window assumed for a 429 that gives no reset time: the cooldown ends when that window,
   * counted from the oldest request accepted in it, has passed. @default 60000
   */
  cooldownDefaultMs: milliseconds.optional(),
  /** Time allowed for an upstream's response headers (and a whole non-streaming answer). @default 30000 */
  requestTimeoutMs: z.number().int().min(1).optional(),
  /** Time allowed from a stream's headers to its first content. @default 15000 */
  firstTokenTimeoutMs: z.number().int().min(1).optional(),
  /** Longest silence allowed inside a stream after its first content. @default 30000 */
  streamIdleTimeoutMs: z.number().int().min(1).optional(),
  /** Time allowed to find an answer across attempts, retries and waits (not the queue). @default 60000 */
  requestBudgetMs: z.number().int().min(1).optional(),
  /** Cooldown after a timeout or a stall. @default 15000 */
  timeoutCooldownMs: milliseconds.optional(),
  /** Wait out a 429 on the same entry when its reset is this close (0 = never). @default 0 */
  retryWaitMs: milliseconds.optional(),
  /** Consecutive failures that open an entry's circuit. @default 3 */
  circuitFailureThreshold: positiveCount.optional(),
  /** Shortest time an open circuit stays open before one probe (ms). @default 2000 */
  circuitMinOpenMs: milliseconds.optional(),
  /**
   * Longest time an open circuit stays open (ms). It stays open for a quarter of the outage's
   * age so far (at least `circuitMinOpenMs`, ±20 %), up to this. @default 60000
   */
  circuitMaxOpenMs: milliseconds.optional(),
  /** Longest wait for a probe's first token (ms); a probe is also never retried. @default 5000 */
  probeFirstTokenTimeoutMs: z.number().int().min(1).optional(),
  /**
   * Probe an entry whose circuit is open in the background when no request arrives: `free`
   * where the provider has a free endpoint to ask (`GET /models`), `all` also with a one-token
   * completion elsewhere (costs quota), `off` never. @default 'free'
   */
  backgroundProbes: z.enum(['free', 'all', 'off']).optional(),
  /** Move `reasoning_content` into `content` for clients that only read content (v1). @default false */
  normalizeResponses: z.boolean().optional(),
  /** Mid-stream failures before the entry's cooldown escalates (v1). @default 3 */
  midStreamFailureThreshold: positiveCount.optional(),
  /** Cooldown after repeated mid-stream failures (v1). @default 120000 */
  midStreamCooldownMs: milliseconds.optional(),
  /** Ceiling of the escalating mid-stream cooldown (v1). @default 1800000 */
  midStreamCooldownMaxMs: milliseconds.optional(),

  // Queue
  /** Wait for capacity instead of answering 429 when every entry is rate-limited (v1). @default false */
  queueMode: z.boolean().optional(),
  /** Longest wait in the queue. @default 120000 */
  queueMaxWaitMs: milliseconds.optional(),
  /** Most requests waiting at once. @default 100 */
  queueMaxSize: positiveCount.optional(),

  // Bounds on what clients and upstreams can make the engine hold
  /**
   * Let `provider/model` reach models that neither the provider's `models` nor a chain names.
   * @default false
   */
  allowUnlistedModels: z.boolean().optional(),
  /** Most distinct unlisted `provider/model` names let through (allowUnlistedModels). @default 100 */
  unlistedModelLimit: positiveCount.optional(),
  /**
   * Largest upstream SSE event (and so line) held while it arrives, counted in characters of
   * the decoded text (never more than its bytes); a longer one is an upstream fault. @default 16777216
   */
  streamEventLimitBytes: z.number().int().min(1024).optional(),
});

/** The engine's whole config (the config file's shape, with engine settings only). */
export const configSchema = z.strictObject({
  /** Config format version; v1 files say 1. */
  version: z.literal(1, { error: 'version must be 1' }).optional(),
  settings: engineSettingsSchema.optional(),
  providers: z.array(providerSchema),
  chains: z.array(chainSchema),
});

/** A config as written (before defaults). */
export type ChainConfigInput = z.input<typeof configSchema>;
/** A validated config. */
export type ChainConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type ChainDefinition = z.output<typeof chainSchema>;
export type EntryConfig = z.output<typeof entrySchema>;
/** Engine settings as validated. */
export type SettingsConfig = z.output<typeof engineSettingsSchema>;
export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;
export type Capabilities = z.output<typeof capabilitiesSchema>;
