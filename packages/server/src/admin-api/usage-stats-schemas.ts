import { z } from 'zod';

/** Width of one time bucket of `GET /api/stats`. */
export const usageBucketSchema = z.enum(['minute', 'hour', 'day']);

/** What the series of `GET /api/stats` are split by. */
export const usageGroupBySchema = z.enum(['provider', 'model', 'chain', 'client']);

/**
 * Counts of one group over one bucket (or over the whole range). For `provider` and
 * `model` grouping the attempt counts are that provider's own, so failures and skips
 * show on the provider that caused them; for `chain` and `client` they are per request.
 */
export const usageCountsSchema = z.object({
  /** chain/client: requests started. provider/model: requests it answered. */
  requests: z.number(),
  /** chain/client: requests answered. provider/model: attempts it answered. */
  answered: z.number(),
  /** chain/client: requests that failed or were interrupted. provider/model: its attempts that failed. */
  failed: z.number(),
  /** chain/client: requests the client abandoned. provider/model: its attempts cut short that way. */
  cancelled: z.number(),
  /** Requests answered by another candidate than the first usable one (provider/model: it was the fallback). */
  fallbacks: z.number(),
  /** Attempts that sent a request upstream. */
  attempts: z.number(),
  /** Candidates skipped without a request (rate-limited, circuit open, unsuitable). */
  skipped: z.number(),
  /** Attempts refused with a rate limit or quota, plus skips for a cooldown or an exhausted quota. */
  rateLimited: z.number(),
  /** Attempts that failed for another reason than a rate limit (5xx, timeout, auth, broken stream, …). */
  errors: z.number(),
  /** chain/client: usage of the requests. provider/model: usage of its answers. */
  promptTokens: z.number(),
  completionTokens: z.number(),
  /** Mean latency of answered requests (provider/model: of its answering attempts); `null` when none. */
  latencyAvgMs: z.number().nullable(),
});

/** One group in one bucket; buckets without traffic are left out. */
export const usagePointSchema = usageCountsSchema.extend({
  group: z.string(),
  /** Start of the bucket (epoch ms, a multiple of `bucketMs`). */
  bucketStart: z.number(),
});

/** One group over the whole range. */
export const usageTotalsSchema = usageCountsSchema.extend({ group: z.string() });

/** `GET /api/stats`: usage per group over a time range, in time buckets. */
export const usageStatsSchema = z.object({
  /** Start of the range, rounded down to a bucket boundary (epoch ms). */
  from: z.number(),
  /** End of the range, exclusive (epoch ms). */
  to: z.number(),
  bucket: usageBucketSchema,
  bucketMs: z.number(),
  groupBy: usageGroupBySchema,
  /** Groups with traffic in the range, busiest first. */
  groups: z.array(z.string()),
  /** Sorted by `bucketStart`, then in the order of `groups`; empty buckets are absent. */
  series: z.array(usagePointSchema),
  /** One entry per group, in the order of `groups`. */
  totals: z.array(usageTotalsSchema),
  /** Every group together. */
  overall: usageCountsSchema,
});
