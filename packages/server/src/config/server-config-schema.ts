import {
  type ConfigSchema,
  configSchema,
  engineSettingsSchema,
  type ParseConfigOptions,
  parseConfig,
} from '@429chain/core';
import { z } from 'zod';

/**
 * The server's config file schema: the engine's (`configSchema` of `@429chain/core`) with
 * the proxy's own settings added. The file is validated by this schema; the engine gets its
 * part (`pickEngineConfig`) and validates that with its own. Every v1 key is accepted.
 */

const positiveCount = z.number().int().positive();

/** Where rate-limit state lives. */
export const storeSettingsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('memory'),
    /** Snapshot the state into the server's database so it survives a restart. @default true */
    persist: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('sqlite'), path: z.string().min(1).optional() }),
  z.strictObject({ type: z.literal('redis'), url: z.string().min(1), prefix: z.string().optional() }),
]);

/** Engine settings plus the proxy's own. */
export const serverSettingsSchema = engineSettingsSchema.extend({
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
  /** Rate-limit store. @default { type: 'memory' } (snapshotted into the database file) */
  store: storeSettingsSchema.optional(),
  /** What to do when the store fails: keep serving from memory, or refuse. @default 'allow' */
  onStoreError: z.enum(['allow', 'deny']).optional(),
  /**
   * After this long without a request, run one full garbage collection that hands the heap a
   * busy spell grew back to the operating system (ms); 0 turns it off. @default 5000
   */
  compactMemoryAfterIdleMs: z.number().int().min(0).optional(),
  /**
   * Host names served besides loopback ones while no client keys are set (with or without
   * `:port`); any other `Host` is refused against DNS rebinding. @default []
   */
  allowedHosts: z.array(z.string().min(1)).optional(),
  /** Longest time a client may take to send a request's headers (ms). @default 10000 */
  clientHeadersTimeoutMs: z.number().int().min(1).optional(),
  /** Longest time a client may take to send a whole request, headers and body (ms). @default 60000 */
  clientRequestTimeoutMs: z.number().int().min(1).optional(),
  /** Most client connections open at once; more are closed as they arrive. @default 1024 */
  maxConnections: positiveCount.optional(),
  /**
   * On shutdown, how long requests in flight may take to finish (ms); streams still open then
   * end with an in-band error and are logged as interrupted. @default 10000
   */
  drainTimeoutMs: z.number().int().min(0).optional(),
  /** Days a stored response (`POST /v1/responses` with `store`) is kept in the database. @default 30 */
  responseRetentionDays: z.number().positive().optional(),
  /**
   * Browser origins allowed to call the client surfaces (`/v1`) cross-origin, or `"*"` (only
   * with client keys). Never applies to the admin API. @default off
   */
  cors: z
    .strictObject({
      /** Allowed origins, e.g. `["http://localhost:5173"]`, or `"*"`. */
      origins: z.union([z.literal('*'), z.array(z.string().min(1))]),
    })
    .optional(),
});

/** The whole config file. */
export const serverConfigSchema = configSchema.extend({ settings: serverSettingsSchema.optional() });

/** A config file as written (before defaults). */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
/** A validated config file. */
export type ServerConfig = z.output<typeof serverConfigSchema>;
/** The config file's settings, as validated. */
export type ServerSettings = z.output<typeof serverSettingsSchema>;

/** Validates a config file's content (and its cross-references) with the server's schema. */
export function parseServerConfig(
  input: unknown,
  options: Omit<ParseConfigOptions, 'schema'> = {},
): ServerConfig {
  return parseConfig(input, { ...options, schema: serverConfigSchema satisfies ConfigSchema });
}
