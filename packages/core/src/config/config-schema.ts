import { z } from 'zod';

/**
 * The config file's schema. The same schema validates the file the server reads
 * and the object `createChain()` receives. It accepts the original 429chain v1
 * `config.yaml` unchanged (every v1 key is here) and adds our own keys.
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
});

const identifier = (what: string) =>
  z
    .string()
    .min(1, { error: `${what} must not be empty` })
    .refine((value) => !value.includes('/'), { error: `${what} must not contain "/"` });

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
});

/** An ordered list of entries, tried in turn. */
export const chainSchema = z.strictObject({
  /** Clients select the chain by sending this as `model`. */
  name: identifier('chain name'),
  /** `embedding` chains serve `POST /v1/embeddings`. @default 'chat' */
  kind: z.enum(['chat', 'embedding']).optional(),
  entries: z.array(entrySchema).min(1, { error: 'a chain needs at least one entry' }),
});

/** Where rate-limit state lives. */
export const storeSettingsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('memory'),
    /** Snapshot the state into the server's database so it survives a restart (server only). @default true */
    persist: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('sqlite'), path: z.string().min(1).optional() }),
  z.strictObject({ type: z.literal('redis'), url: z.string().min(1), prefix: z.string().optional() }),
]);

/** Engine and server settings. Every v1 key is accepted. */
export const settingsSchema = z.strictObject({
  // Server (ignored by core)
  /** Port the proxy listens on. @default 3429 */
  port: z.number().int().min(0).max(65535).optional(),
  /** Host the proxy binds. @default '127.0.0.1' */
  host: z.string().min(1).optional(),
  /** Client keys accepted on `/v1` (Bearer or x-api-key). */
  apiKeys: z.array(z.string().min(1, { error: 'API key must not be empty' })).optional(),
  /** Keys accepted on the admin API `/api`. */
  adminKeys: z.array(z.string().min(1, { error: 'admin key must not be empty' })).optional(),
  /**
   * Serve `/metrics` without a key. When client keys are set, the metrics (providers, models,
   * quotas) need an admin key unless this is `true`. @default true without client keys, else false
   */
  publicMetrics: z.boolean().optional(),
  /** Log verbosity (v1 accepted trace…fatal). @default 'info' */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  /** SQLite file for the request log and rate-limit state. */
  dbPath: z.string().min(1).optional(),
  /** Request log retention in days. @default 30 */
  logRetentionDays: z.number().positive().optional(),
  /** Request log retention in rows. @default 100000 */
  logMaxRows: positiveCount.optional(),
  /** Largest request body accepted, in bytes. @default 4194304 */
  bodyLimitBytes: positiveCount.optional(),
  /** Rate-limit store. @default { type: 'memory' } (the server snapshots it into its database file) */
  store: storeSettingsSchema.optional(),
  /** What to do when the store fails: keep serving from memory, or refuse. @default 'allow' */
  onStoreError: z.enum(['allow', 'deny']).optional(),
  /**
   * After this long without a request, run one full garbage collection that hands the heap a
   * busy spell grew back to the operating system (ms); 0 turns it off. @default 5000
   */
  compactMemoryAfterIdleMs: z.number().int().min(0).optional(),

  // Routing
  /** Chain used when `model` names no chain and no provider/model. */
  defaultChain: z.string().min(1, { error: 'defaultChain must not be empty' }).optional(),
  /** Cooldown after a 429 that gives no reset time. @default 60000 */
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
  /** How long an open circuit stays open before one probe. @default 30000 */
  circuitCooldownMs: milliseconds.optional(),
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
});

/** The whole config file. */
export const configSchema = z.strictObject({
  /** Config format version; v1 files say 1. */
  version: z.literal(1, { error: 'version must be 1' }).optional(),
  settings: settingsSchema.optional(),
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
export type SettingsConfig = z.output<typeof settingsSchema>;
export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;
export type Capabilities = z.output<typeof capabilitiesSchema>;
