import type { DatabaseSync } from 'node:sqlite';
import type { AttemptFailureKind, AttemptRecord, RequestRecord, SkipKind } from '@429chain/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { UsageCounts } from '../admin-api/admin-api.ts';
import { openDatabase } from './open-database.ts';
import { createSqliteRequestLogger } from './sqlite-request-logger.ts';
import { sampleAttempt, sampleRecord } from './testing/sample-record.ts';
import { usageQuerySchema, usageStats } from './usage-stats.ts';

const minuteMs = 60_000;
const hourMs = 3_600_000;
/** 2025-01-01T12:00:00Z, on an hour boundary. */
const base = Date.UTC(2025, 0, 1, 12);

const groq = 'groq';
const cerebras = 'cerebras';
const openrouter = 'openrouter';

function answered(
  provider: string,
  startedAt: number,
  latencyMs: number,
  prompt: number,
  completion: number,
) {
  return sampleAttempt({
    provider,
    model: `${provider}-model`,
    startedAt,
    latencyMs,
    usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion },
  });
}

function failed(
  provider: string,
  startedAt: number,
  failure: AttemptFailureKind,
  status?: number,
): AttemptRecord {
  return sampleAttempt({
    provider,
    model: `${provider}-model`,
    startedAt,
    outcome: 'failed',
    reason: failure,
    failure,
    status,
    usage: undefined,
  });
}

function skipped(provider: string, startedAt: number, failure: SkipKind): AttemptRecord {
  return sampleAttempt({
    provider,
    model: `${provider}-model`,
    startedAt,
    outcome: 'skipped',
    reason: failure,
    failure,
    status: undefined,
    latencyMs: 0,
    usage: undefined,
  });
}

function request(
  id: string,
  startedAt: number,
  fields: Partial<RequestRecord> & { attempts: AttemptRecord[] },
): RequestRecord {
  const answer = fields.attempts.find((attempt) => attempt.outcome === 'answered');
  return sampleRecord({
    id,
    startedAt,
    provider: answer?.provider,
    model: answer?.model,
    usage: answer?.usage,
    ...fields,
  });
}

/** The known sequence: four requests in the first two minutes, one in the second hour, one in the fourth. */
const records: RequestRecord[] = [
  request('r1', base, {
    chain: 'fast',
    metadata: { client: 'alice' },
    latencyMs: 120,
    attempts: [answered(groq, base + 1, 100, 10, 5)],
  }),
  request('r2', base + 30_000, {
    chain: 'fast',
    metadata: { client: 'bob' },
    latencyMs: 260,
    attempts: [
      failed(groq, base + 30_001, 'rate-limit', 429),
      answered(cerebras, base + 30_050, 200, 20, 10),
    ],
  }),
  request('r3', base + 70_000, {
    chain: 'smart',
    latencyMs: 400,
    attempts: [
      skipped(groq, base + 70_001, 'cooldown'),
      failed(cerebras, base + 70_002, 'server', 502),
      answered(openrouter, base + 70_090, 300, 30, 15),
    ],
  }),
  request('r4', base + 90_000, {
    chain: 'smart',
    metadata: { client: 'alice' },
    latencyMs: 60,
    attempts: [skipped(groq, base + 90_001, 'unsuitable'), answered(cerebras, base + 90_002, 50, 5, 5)],
  }),
  request('r5', base + 3 * hourMs + 5_000, {
    chain: 'fast',
    metadata: { client: 'bob' },
    outcome: 'failed',
    status: 503,
    latencyMs: 900,
    error: { code: 'chain_exhausted', message: 'no entry could answer' },
    attempts: [
      failed(groq, base + 3 * hourMs + 5_001, 'rate-limit', 429),
      failed(cerebras, base + 3 * hourMs + 5_100, 'timeout'),
    ],
  }),
  request('r6', base + hourMs + 60_000, {
    chain: 'fast',
    metadata: { client: 'alice' },
    outcome: 'cancelled',
    status: 499,
    latencyMs: 30,
    attempts: [
      sampleAttempt({
        model: 'groq-model',
        startedAt: base + hourMs + 60_001,
        outcome: 'cancelled',
        reason: 'the client went away',
        usage: undefined,
      }),
    ],
  }),
  // Outside every range below.
  request('before', base - 1, { chain: 'fast', attempts: [answered(groq, base - 1, 10, 1, 1)] }),
  request('at-end', base + 4 * hourMs, {
    chain: 'fast',
    attempts: [answered(groq, base + 4 * hourMs, 10, 1, 1)],
  }),
];

const zero: UsageCounts = {
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
  latencyAvgMs: null,
};

describe('usage stats', () => {
  let database: DatabaseSync;

  beforeEach(async () => {
    database = openDatabase({ path: ':memory:' });
    const requestLog = createSqliteRequestLogger({ database, now: () => base });
    for (const record of records) requestLog.log(record);
    await requestLog.close();
  });

  afterEach(() => database.close());

  it('counts attempts, answers, fallbacks, tokens and latency per provider and hour', () => {
    const stats = usageStats(database, {
      from: base,
      to: base + 4 * hourMs,
      bucket: 'hour',
      groupBy: 'provider',
    });

    expect(stats).toMatchObject({ from: base, to: base + 4 * hourMs, bucket: 'hour', bucketMs: hourMs });
    expect(stats.groups).toEqual([groq, cerebras, openrouter]);
    expect(stats.series).toEqual([
      {
        ...zero,
        group: groq,
        bucketStart: base,
        requests: 1,
        attempts: 2,
        answered: 1,
        failed: 1,
        skipped: 2,
        rateLimited: 2,
        promptTokens: 10,
        completionTokens: 5,
        latencyAvgMs: 100,
      },
      {
        ...zero,
        group: cerebras,
        bucketStart: base,
        requests: 2,
        fallbacks: 1,
        attempts: 3,
        answered: 2,
        failed: 1,
        errors: 1,
        promptTokens: 25,
        completionTokens: 15,
        latencyAvgMs: 125,
      },
      {
        ...zero,
        group: openrouter,
        bucketStart: base,
        requests: 1,
        fallbacks: 1,
        attempts: 1,
        answered: 1,
        promptTokens: 30,
        completionTokens: 15,
        latencyAvgMs: 300,
      },
      { ...zero, group: groq, bucketStart: base + hourMs, attempts: 1, cancelled: 1 },
      { ...zero, group: groq, bucketStart: base + 3 * hourMs, attempts: 1, failed: 1, rateLimited: 1 },
      { ...zero, group: cerebras, bucketStart: base + 3 * hourMs, attempts: 1, failed: 1, errors: 1 },
    ]);
    expect(stats.totals).toEqual([
      {
        ...zero,
        group: groq,
        requests: 1,
        attempts: 4,
        answered: 1,
        failed: 2,
        cancelled: 1,
        skipped: 2,
        rateLimited: 3,
        promptTokens: 10,
        completionTokens: 5,
        latencyAvgMs: 100,
      },
      {
        ...zero,
        group: cerebras,
        requests: 2,
        fallbacks: 1,
        attempts: 4,
        answered: 2,
        failed: 2,
        errors: 2,
        promptTokens: 25,
        completionTokens: 15,
        latencyAvgMs: 125,
      },
      {
        ...zero,
        group: openrouter,
        requests: 1,
        fallbacks: 1,
        attempts: 1,
        answered: 1,
        promptTokens: 30,
        completionTokens: 15,
        latencyAvgMs: 300,
      },
    ]);
  });

  it('counts requests per chain and minute', () => {
    const stats = usageStats(database, {
      from: base,
      to: base + 2 * minuteMs,
      bucket: 'minute',
      groupBy: 'chain',
    });

    expect(stats.groups).toEqual(['fast', 'smart']);
    expect(stats.series).toEqual([
      {
        ...zero,
        group: 'fast',
        bucketStart: base,
        requests: 2,
        answered: 2,
        fallbacks: 1,
        attempts: 3,
        rateLimited: 1,
        promptTokens: 30,
        completionTokens: 15,
        latencyAvgMs: 190,
      },
      {
        ...zero,
        group: 'smart',
        bucketStart: base + minuteMs,
        requests: 2,
        answered: 2,
        fallbacks: 1,
        attempts: 3,
        skipped: 2,
        rateLimited: 1,
        errors: 1,
        promptTokens: 35,
        completionTokens: 20,
        latencyAvgMs: 230,
      },
    ]);
  });

  it('counts requests per client, with requests that carry none in their own group', () => {
    const stats = usageStats(database, { from: base, to: base + 4 * hourMs, groupBy: 'client' });

    expect(stats.bucket).toBe('hour');
    expect(stats.groups).toEqual(['alice', 'bob', '(none)']);
    const totals = Object.fromEntries(stats.totals.map(({ group, ...counts }) => [group, counts]));
    expect(totals.alice).toEqual({
      ...zero,
      requests: 3,
      answered: 2,
      cancelled: 1,
      attempts: 3,
      skipped: 1,
      promptTokens: 15,
      completionTokens: 10,
      latencyAvgMs: 90,
    });
    expect(totals.bob).toEqual({
      ...zero,
      requests: 2,
      answered: 1,
      failed: 1,
      fallbacks: 1,
      attempts: 4,
      rateLimited: 2,
      errors: 1,
      promptTokens: 20,
      completionTokens: 10,
      latencyAvgMs: 260,
    });
    expect(totals['(none)']).toMatchObject({
      requests: 1,
      answered: 1,
      fallbacks: 1,
      attempts: 2,
      skipped: 1,
    });
    // Every group together: the counts add up, the latency is averaged over every answer.
    expect(stats.overall).toMatchObject({
      requests: 6,
      answered: 4,
      failed: 1,
      cancelled: 1,
      fallbacks: 2,
      attempts: 9,
      promptTokens: stats.totals.reduce((sum, total) => sum + total.promptTokens, 0),
    });
    expect(stats.overall.latencyAvgMs).toBeGreaterThan(0);
  });

  it('groups by provider and model together', () => {
    const stats = usageStats(database, { from: base, to: base + 4 * hourMs, groupBy: 'model' });
    expect(stats.groups).toEqual([
      'groq/groq-model',
      'cerebras/cerebras-model',
      'openrouter/openrouter-model',
    ]);
  });

  it('chooses the smallest bucket that keeps the range within 200 buckets', () => {
    const bucketFor = (rangeMs: number) => usageStats(database, { from: base, to: base + rangeMs }).bucket;
    expect(bucketFor(2 * hourMs)).toBe('minute');
    expect(bucketFor(200 * minuteMs)).toBe('minute');
    expect(bucketFor(201 * minuteMs)).toBe('hour');
    expect(bucketFor(24 * hourMs)).toBe('hour');
    expect(bucketFor(30 * 24 * hourMs)).toBe('day');
  });

  it('defaults to the last 24 hours, starting on a bucket boundary', () => {
    const now = base + 4 * hourMs + 17 * minuteMs;
    const stats = usageStats(database, {}, { now: () => now });
    expect(stats).toMatchObject({ to: now, from: base - 20 * hourMs, bucket: 'hour', groupBy: 'provider' });
    expect(stats.totals.find((total) => total.group === groq)?.attempts).toBe(6);
  });

  it('rounds a start inside a bucket down to its boundary', () => {
    const stats = usageStats(database, { from: base + 40 * minuteMs, to: base + 4 * hourMs, bucket: 'hour' });
    expect(stats.from).toBe(base);
    expect(stats.series[0]?.bucketStart).toBe(base);
  });

  it('accepts the raw strings of a query string and rejects bad input naming the field', () => {
    const stats = usageStats(database, {
      from: new Date(base).toISOString(),
      to: String(base + 2 * minuteMs),
      bucket: 'minute',
      groupBy: '',
    });
    expect(stats.groupBy).toBe('provider');
    expect(stats.totals).toHaveLength(3);

    const issuePaths = (query: Parameters<typeof usageStats>[1]) => {
      try {
        usageStats(database, query);
      } catch (error) {
        if (error instanceof z.ZodError) return error.issues.map((issue) => issue.path.join('.'));
        throw error;
      }
      return [];
    };
    expect(issuePaths({ bucket: 'week', groupBy: 'team' }).sort()).toEqual(['bucket', 'groupBy']);
    expect(issuePaths({ from: base, to: base - 1 })).toEqual(['from']);
    expect(issuePaths({ from: base, to: base + 30 * 24 * hourMs, bucket: 'minute' })).toEqual(['bucket']);
    expect(usageQuerySchema.safeParse({ from: 'soon' }).success).toBe(false);
  });
});
