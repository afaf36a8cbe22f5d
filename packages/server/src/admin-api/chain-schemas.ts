import { chainSchema } from '@429chain/core';
import { z } from 'zod';

/** A chain as the config file writes it. */
export const chainViewSchema = chainSchema;

/** `GET /api/chains`. */
export const chainListSchema = z.object({
  data: z.array(chainViewSchema),
  defaultChain: z.string().nullable(),
  /** Whether edits are written to a config file (false in demo and environment modes). */
  persisted: z.boolean(),
});

/** `POST /api/chains`. */
export const chainInputSchema = chainSchema;

/** `PUT /api/chains/{name}`: a new name, kind or entries (in order: the order is the priority). */
export const chainUpdateSchema = chainSchema.partial();
