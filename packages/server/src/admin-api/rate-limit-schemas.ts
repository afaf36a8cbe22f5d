import type { ChainStatus } from '@429chain/core';
import { z } from 'zod';

/**
 * The live rate-limit board, as `chain.status()` returns it (`ChainStatus` of
 * `@429chain/core`): every entry with its state, the known buckets, the blocks, the queue.
 */
export const chainStatusSchema = z
  .custom<ChainStatus>(
    (value) => typeof value === 'object' && value !== null && Array.isArray((value as ChainStatus).entries),
    { error: 'expected a rate-limit status' },
  )
  .meta({
    type: 'object',
    description:
      '`at` (epoch ms), `entries[]` (chain, entryIndex, provider, model, key, state: available | tracking | exhausted | parked | broken, reason, until, buckets), `buckets[]`, `blocks[]`, `queue: { size }`: see `ChainStatus` in @429chain/core.',
    required: ['at', 'entries', 'buckets', 'blocks', 'queue'],
  });

/** `POST /api/ratelimits/reset`: forget all rate-limit state, one provider's, or one scope's. */
export const resetInputSchema = z.strictObject({
  /** Forget one provider's state. */
  provider: z.string().min(1).optional(),
  /** Forget one scope's state (as shown in `/api/ratelimits`). */
  scope: z.string().min(1).optional(),
});

/** What `POST /api/ratelimits/reset` answers: what was reset, and the board after it. */
export const resetAnswerSchema = z.object({
  /** The scope or provider reset, or `all`. */
  reset: z.string(),
  status: chainStatusSchema,
});
