/**
 * Usage over time from the request log: per group (provider, model, chain or client)
 * and per time bucket, aggregated by SQLite with `GROUP BY` on `started_at / bucketMs`.
 */

import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { rateLimitFailureKinds, rateLimitSkipKinds } from '@429chain/core';
import { z } from 'zod';
import type { UsageBucket, UsageCounts, UsageGroupBy, UsageStats } from '../admin-api/admin-api.ts';
import { usageBucketSchema, usageGroupBySchema } from '../admin-api/usage-stats-schemas.ts';
import { preparedStatement } from './open-database.ts';
import { absentWhenEmpty, epochMsSchema, optionalQueryValue } from './request-log-queries.ts';

/** The raw query `usageStats` accepts; numbers may come as strings, empty strings count as absent. */
export interface UsageQueryInput {
  /** Start (epoch ms or ISO 8601). @default to - 24 h */
  from?: number | string | undefined;
  /** End, exclusive (epoch ms or ISO 8601). @default now */
  to?: number | string | undefined;
  /** Bucket width. @default the smallest giving at most 200 buckets */
  bucket?: string | undefined;
  /** @default 'provider' */
  groupBy?: string | undefined;
}

/** Options of {@link usageStats}. */
export interface UsageStatsOptions {
  /** Clock for the default range (epoch ms). @default Date.now */
  now?: (() => number) | undefined;
}

/** Length of each bucket (ms). */
export const bucketLengthsMs: Readonly<Record<UsageBucket, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** Label of the group of requests that carry no client name. */
export const noClientGroup = '(none)';

/** Buckets a chosen default aims to stay within. */
const preferredBuckets = 200;
/** The most buckets one query may ask for. */
export const maxBuckets = 1_000;
const defaultRangeMs = 86_400_000;

const buckets = usageBucketSchema.options;
const groupings = usageGroupBySchema.options;

/** The query of {@link usageStats}, for the HTTP layer to validate raw query strings with. */
export const usageQuerySchema = z
  .object({
    from: optionalQueryValue(epochMsSchema).meta({ description: 'Range start (epoch ms or ISO date).' }),
    to: optionalQueryValue(epochMsSchema).meta({
      description: 'Range end, exclusive (epoch ms or ISO date).',
    }),
    bucket: optionalQueryValue(z.enum(buckets, { error: `expected one of ${buckets.join(', ')}` })).meta({
      description: `${buckets.join(' | ')}; by default the smallest giving at most ${preferredBuckets} buckets.`,
    }),
    groupBy: z
      .preprocess(
        absentWhenEmpty,
        z.enum(groupings, { error: `expected one of ${groupings.join(', ')}` }).default('provider'),
      )
      .meta({ description: `${groupings.join(' | ')}.` }),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from < query.to, {
    message: 'must be before `to`',
    path: ['from'],
  });

/** A validated {@link UsageQueryInput}. */
export type UsageQuery = z.output<typeof usageQuerySchema>;

const quoted = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');
/** An attempt refused for a rate limit or quota, or skipped while its limits hold it back. */
const rateLimitedAttempt = `((outcome = 'failed' AND failure IN (${quoted(rateLimitFailureKinds)}))
    OR (outcome = 'skipped' AND failure IN (${quoted(rateLimitSkipKinds)})))`;
/** A sent attempt that failed for another reason than a rate limit. */
const erroredAttempt = `(outcome = 'failed' AND (failure IS NULL OR failure NOT IN (${quoted(rateLimitFailureKinds)})))`;
const answeredLatency = `TOTAL(CASE WHEN outcome = 'answered' THEN latency_ms END) AS latency_sum,
  TOTAL(outcome = 'answered' AND latency_ms IS NOT NULL) AS latency_count`;

/**
 * Usage per group and time bucket over `[from, to)`. Throws a `z.ZodError` (its issues
 * name the field) when the query is invalid or asks for more than {@link maxBuckets} buckets.
 */
export function usageStats(
  database: DatabaseSync,
  query: UsageQueryInput = {},
  options: UsageStatsOptions = {},
): UsageStats {
  return usageStatsFor(database, usageQuerySchema.parse(query), options);
}

/**
 * {@link usageStats} for a query already validated with {@link usageQuerySchema}; still throws
 * a `z.ZodError` for a range that is empty or needs too many buckets.
 */
export function usageStatsFor(
  database: DatabaseSync,
  parsed: UsageQuery,
  options: UsageStatsOptions = {},
): UsageStats {
  const to = parsed.to ?? (options.now ?? Date.now)();
  const requestedFrom = parsed.from ?? to - defaultRangeMs;
  if (!(requestedFrom < to)) throw queryError('from', `must be before \`to\` (${to})`);
  const bucket = parsed.bucket ?? defaultBucket(requestedFrom, to);
  const bucketMs = bucketLengthsMs[bucket];
  const from = Math.floor(requestedFrom / bucketMs) * bucketMs;
  const count = Math.ceil((to - from) / bucketMs);
  if (count > maxBuckets) {
    throw queryError(
      'bucket',
      `${bucket} buckets over this range make ${count}, more than ${maxBuckets}; choose a wider bucket or a shorter range`,
    );
  }
  // A bigint binds as an INTEGER, so `started_at / ?` divides as integers.
  const parameters: SQLInputValue[] = [BigInt(bucketMs), from, to];
  const rows =
    parsed.groupBy === 'provider' || parsed.groupBy === 'model'
      ? [
          ...queryRows(database, providerAttemptsSql(parsed.groupBy), parameters),
          ...queryRows(database, providerRequestsSql(parsed.groupBy), parameters),
        ]
      : queryRows(database, requestsSql(parsed.groupBy), parameters);
  return summarize({ rows, from, to, bucket, bucketMs, groupBy: parsed.groupBy });
}

/** The smallest bucket that splits `[from, to)` into at most 200 buckets (days for longer ranges). */
function defaultBucket(from: number, to: number): UsageBucket {
  for (const bucket of buckets) {
    const bucketMs = bucketLengthsMs[bucket];
    if (Math.ceil((to - Math.floor(from / bucketMs) * bucketMs) / bucketMs) <= preferredBuckets)
      return bucket;
  }
  return 'day';
}

function groupExpression(groupBy: UsageGroupBy, table: string): string {
  if (groupBy === 'provider') return `${table}.provider`;
  if (groupBy === 'model') return `${table}.provider || '/' || ${table}.model`;
  if (groupBy === 'chain') return `${table}.chain`;
  return `COALESCE(${table}.client, '${noClientGroup}')`;
}

/** Attempts per provider (or provider/model), bucketed by when the attempt started. */
function providerAttemptsSql(groupBy: UsageGroupBy): string {
  return `SELECT ${groupExpression(groupBy, 'attempts')} AS grp, started_at / ?1 AS slot,
    TOTAL(outcome <> 'skipped') AS attempts,
    TOTAL(outcome = 'answered') AS answered,
    TOTAL(outcome = 'failed') AS failed,
    TOTAL(outcome = 'cancelled') AS cancelled,
    TOTAL(outcome = 'skipped') AS skipped,
    TOTAL(${rateLimitedAttempt}) AS rate_limited,
    TOTAL(${erroredAttempt}) AS errors,
    TOTAL(prompt_tokens) AS prompt_tokens,
    TOTAL(completion_tokens) AS completion_tokens,
    ${answeredLatency}
  FROM attempts
  WHERE started_at >= ?2 AND started_at < ?3
  GROUP BY grp, slot`;
}

/** Requests each provider (or provider/model) answered, bucketed by when the request started. */
function providerRequestsSql(groupBy: UsageGroupBy): string {
  return `SELECT ${groupExpression(groupBy, 'requests')} AS grp, started_at / ?1 AS slot,
    COUNT(*) AS requests,
    TOTAL(fallback) AS fallbacks
  FROM requests
  WHERE started_at >= ?2 AND started_at < ?3 AND outcome = 'answered' AND provider IS NOT NULL
  GROUP BY grp, slot`;
}

/** Requests per chain (or client), bucketed by when the request started. */
function requestsSql(groupBy: UsageGroupBy): string {
  return `SELECT ${groupExpression(groupBy, 'requests')} AS grp, started_at / ?1 AS slot,
    COUNT(*) AS requests,
    TOTAL(outcome = 'answered') AS answered,
    TOTAL(outcome IN ('failed', 'interrupted')) AS failed,
    TOTAL(outcome = 'cancelled') AS cancelled,
    TOTAL(fallback) AS fallbacks,
    TOTAL(attempt_count) AS attempts,
    TOTAL(skipped_count) AS skipped,
    TOTAL(rate_limited_count) AS rate_limited,
    TOTAL(error_count) AS errors,
    TOTAL(prompt_tokens) AS prompt_tokens,
    TOTAL(completion_tokens) AS completion_tokens,
    ${answeredLatency}
  FROM requests
  WHERE started_at >= ?2 AND started_at < ?3
  GROUP BY grp, slot`;
}

type AggregateRow = Record<string, string | number | bigint | null | Uint8Array>;

function queryRows(database: DatabaseSync, sql: string, parameters: SQLInputValue[]): AggregateRow[] {
  return preparedStatement(database, sql).all(...parameters) as AggregateRow[];
}

/** Sums kept while merging rows; the mean latency is computed at the end. */
interface Accumulator extends Omit<UsageCounts, 'latencyAvgMs'> {
  latencySum: number;
  latencyCount: number;
}

const countColumns = {
  requests: 'requests',
  answered: 'answered',
  failed: 'failed',
  cancelled: 'cancelled',
  fallbacks: 'fallbacks',
  attempts: 'attempts',
  skipped: 'skipped',
  rateLimited: 'rate_limited',
  errors: 'errors',
  promptTokens: 'prompt_tokens',
  completionTokens: 'completion_tokens',
  latencySum: 'latency_sum',
  latencyCount: 'latency_count',
} as const satisfies Record<keyof Accumulator, string>;

function emptyAccumulator(): Accumulator {
  return {
    requests: 0,
    answered: 0,
    failed: 0,
    cancelled: 0,
    fallbacks: 0,
    attempts: 0,
    skipped: 0,
    rateLimited: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    latencySum: 0,
    latencyCount: 0,
  };
}

function addRow(target: Accumulator, row: AggregateRow): void {
  for (const [field, column] of Object.entries(countColumns) as [keyof Accumulator, string][]) {
    const value = row[column];
    if (value !== undefined && value !== null) target[field] += Number(value);
  }
}

function finish(accumulator: Accumulator): UsageCounts {
  const { latencySum, latencyCount, ...counts } = accumulator;
  return { ...counts, latencyAvgMs: latencyCount > 0 ? latencySum / latencyCount : null };
}

function summarize(input: {
  rows: AggregateRow[];
  from: number;
  to: number;
  bucket: UsageBucket;
  bucketMs: number;
  groupBy: UsageGroupBy;
}): UsageStats {
  const points = new Map<string, { group: string; bucketStart: number; sums: Accumulator }>();
  const totals = new Map<string, Accumulator>();
  const overall = emptyAccumulator();
  for (const row of input.rows) {
    const group = String(row.grp ?? '');
    const bucketStart = Number(row.slot) * input.bucketMs;
    const key = `${bucketStart}\u0000${group}`;
    let point = points.get(key);
    if (point === undefined) {
      point = { group, bucketStart, sums: emptyAccumulator() };
      points.set(key, point);
    }
    addRow(point.sums, row);
    let total = totals.get(group);
    if (total === undefined) {
      total = emptyAccumulator();
      totals.set(group, total);
    }
    addRow(total, row);
    addRow(overall, row);
  }
  // Busiest first: by requests for chains and clients, by candidates tried for providers and models.
  const byProvider = input.groupBy === 'provider' || input.groupBy === 'model';
  const activity = (sums: Accumulator): [number, number] =>
    byProvider ? [sums.attempts + sums.skipped, sums.requests] : [sums.requests, sums.attempts];
  const groups = [...totals.keys()].sort((left, right) => {
    const [leftFirst, leftSecond] = activity(totals.get(left)!);
    const [rightFirst, rightSecond] = activity(totals.get(right)!);
    return rightFirst - leftFirst || rightSecond - leftSecond || (left < right ? -1 : left > right ? 1 : 0);
  });
  const order = new Map(groups.map((group, index) => [group, index]));
  const series = [...points.values()]
    .sort(
      (left, right) =>
        left.bucketStart - right.bucketStart || order.get(left.group)! - order.get(right.group)!,
    )
    .map(({ group, bucketStart, sums }) => ({ group, bucketStart, ...finish(sums) }));
  return {
    from: input.from,
    to: input.to,
    bucket: input.bucket,
    bucketMs: input.bucketMs,
    groupBy: input.groupBy,
    groups,
    series,
    totals: groups.map((group) => ({ group, ...finish(totals.get(group)!) })),
    overall: finish(overall),
  };
}

function queryError(field: string, message: string): z.ZodError {
  return new z.ZodError([{ code: 'custom', path: [field], message, input: undefined }]);
}
