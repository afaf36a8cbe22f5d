import { z } from 'zod';

/** Where the proxy's config came from: a file, provider keys in the environment, or the demo. */
export const serverModeSchema = z.enum(['file', 'environment', 'demo']);

/** The rate-limit store's health. */
export const storeInfoSchema = z.object({
  /** `memory`, `sqlite` or `redis`. */
  type: z.string(),
  up: z.boolean(),
  /** Requests are served from a local memory store while the shared one is away. */
  fallback: z.boolean().optional(),
});

/** `GET /api/info`: version, mode and where the config lives. */
export const serverInfoSchema = z.object({
  name: z.literal('429chain'),
  version: z.string(),
  /** `demo` serves simulated providers. */
  mode: serverModeSchema,
  /** When the server started (epoch ms). */
  startedAt: z.number(),
  config: z.object({
    /** The config file; null in environment and demo modes. */
    path: z.string().nullable(),
    /** Whether edits are written to a file. */
    persisted: z.boolean(),
    format: z.enum(['yaml', 'json']),
  }),
  store: storeInfoSchema,
  defaultChain: z.string().nullable(),
});
