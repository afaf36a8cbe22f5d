import { providerSchema, rateLimitsSchema } from '@429chain/core';
import { z } from 'zod';
import { patchSchemaOf } from './patch-schema-of.ts';

/** One provider preset of `GET /api/presets`. */
export const presetViewSchema = z.object({
  /** The config's provider `type`. */
  id: z.string(),
  name: z.string(),
  /** Default base URL; null when the user gives one (`generic`). `{account}` is the provider's accountId. */
  baseUrl: z.string().nullable(),
  needsBaseUrl: z.boolean(),
  needsAccountId: z.boolean(),
  keyRequired: z.boolean(),
  /** Environment variables that usually hold its key, first wins. */
  envKeys: z.array(z.string()),
  /** Models to offer first; the first is the default. */
  suggestedModels: z.array(z.string()),
  /** Published free-tier limits, when known. */
  knownLimits: rateLimitsSchema.nullable(),
});

/** `GET /api/presets`. */
export const presetListSchema = z.object({ data: z.array(presetViewSchema) });

/** One key of a provider, masked: the key itself never leaves the server. */
export const providerKeyViewSchema = z.object({
  /** Position in the provider's key list, from 1. */
  index: z.number().int(),
  /** `…abcd`, or a `${NAME}` reference. */
  masked: z.string(),
  fromEnvironment: z.boolean(),
  /** A short hash of the key (the one the rate-limit state is kept under); null when unknown. */
  fingerprint: z.string().nullable(),
});

/** A provider as the admin API shows it: keys and header values masked, never sent back. */
export const providerViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  baseUrl: z.string().nullable(),
  /** The config sets a base URL instead of the preset's. */
  baseUrlOverridden: z.boolean(),
  accountId: z.string().nullable(),
  timeout: z.number().nullable(),
  /** Extra headers, values masked. */
  headers: z.record(z.string(), z.string()),
  rateLimits: rateLimitsSchema.nullable(),
  models: z.array(z.string()),
  keys: z.array(providerKeyViewSchema),
  /** Chains whose entries use it. */
  usedBy: z.array(z.string()),
  preset: z.object({ id: z.string(), name: z.string(), knownLimits: rateLimitsSchema.nullable() }).nullable(),
});

/** `GET /api/providers`. */
export const providerListSchema = z.object({
  data: z.array(providerViewSchema),
  /** Whether edits are written to a config file (false in demo and environment modes). */
  persisted: z.boolean(),
});

/** `POST /api/providers`: a provider as the config file writes it. */
export const providerInputSchema = providerSchema;

/**
 * `PATCH /api/providers/{id}`: the fields to change; `null` removes one. A key left out (or
 * sent back masked, as it was shown) is kept.
 */
export const providerPatchSchema = patchSchemaOf(providerSchema);
