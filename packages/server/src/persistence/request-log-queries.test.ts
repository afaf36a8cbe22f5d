import type { DatabaseSync } from 'node:sqlite';
import type { RequestRecord } from '@429chain/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestSummary } from '../admin-api/admin-api.ts';
import { openDatabase } from './open-database.ts';
import {
  decodeCursor,
  encodeCursor,
  getRequest,
  listRequests,
  type RequestLogQueryInput,
  requestListStatement,
  requestLogQuerySchema,
} from './request-log-queries.ts';
import { createSqliteRequestLogger } from './sqlite-request-logger.ts';
import { sampleAttempt, sampleRecord } from './testing/sample-record.ts';

const base = 1_750_000_000_000;
const providers = ['groq', 'cerebras', 'openrouter'] as const;
const chains = ['fast', 'smart'] as const;
const statuses = [200, 200, 429, 502, 400] as const;
const clients = ['alice', 'bob', undefined] as const;

/** 120 records across providers, chains, statuses and clients; every two share a start time. */
function seedRecords(): RequestRecord[] {
  return Array.from({ length: 120 }, (_, index) => {
    const status = statuses[index % statuses.length]!;
    const answered = status === 200;
    const client = clients[index % clients.length];
    const provider = providers[index % providers.length]!;
    return sampleRecord({
      id: `request-${String(index).padStart(3, '0')}`,
      chain: chains[index % chains.length]!,
      startedAt: base + Math.floor(index / 2) * 1_000,
      status,
      outcome: answered ? 'answered' : 'failed',
      provider: answered ? provider : undefined,
      model: answered ? `${provider}-model` : undefined,
      usage: answered ? { promptTokens: 10, completionTokens: 5, totalTokens: 15 } : undefined,
      error: answered ? undefined : { code: `http_${status}`, message: `upstream said ${status}` },
      metadata: client === undefined ? undefined : { client },
      attempts: [sampleAttempt({ provider, model: `${provider}-model`, startedAt: base + index })],
    });
  });
}

async function insert(database: DatabaseSync, records: RequestRecord[]): Promise<void> {
  const requestLog = createSqliteRequestLogger({ database, now: () => base });
  for (const record of records) requestLog.log(record);
  await requestLog.close();
}

/** Newest first, as the list orders them. */
function newestFirst(records: RequestRecord[]): RequestRecord[] {
  return [...records].sort(
    (left, right) =>
      right.startedAt - left.startedAt || (left.id < right.id ? 1 : left.id > right.id ? -1 : 0),
  );
}

function allPages(database: DatabaseSync, query: RequestLogQueryInput): RequestSummary[] {
  const items: RequestSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = listRequests(database, { ...query, cursor });
    items.push(...result.items);
    if (result.nextCursor === null) return items;
    cursor = result.nextCursor;
  }
  throw new Error('paging did not end');
}

function zodIssues(run: () => unknown): { path: PropertyKey[]; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof z.ZodError) return error.issues.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  throw new Error('expected a ZodError');
}

describe('request log queries', () => {
  let database: DatabaseSync;
  const records = seedRecords();

  beforeEach(async () => {
    database = openDatabase({ path: ':memory:' });
    await insert(database, records);
  });

  afterEach(() => database.close());

  it('seeks an index for the rare rows a filter asks for, and walks the time index otherwise', () => {
    const plan = (query: RequestLogQueryInput) => {
      const { sql, parameters } = requestListStatement(requestLogQuerySchema.parse(query));
      return database
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...parameters)
        .map((row) => String(row.detail))
        .join('; ');
    };
    expect(plan({ status: '429' })).toContain('USING INDEX requests_status');
    expect(plan({ outcome: 'failed' })).toContain('USING INDEX requests_unanswered');
    expect(plan({ client: 'alice' })).toContain('USING INDEX requests_client');
    expect(plan({ chain: 'fast' })).toContain('USING INDEX requests_chain');
    expect(plan({ provider: 'groq' })).toContain('USING INDEX requests_provider');
    expect(plan({})).toContain('USING INDEX requests_started_at');
    for (const query of [{ status: '429' }, { outcome: 'failed' }, { client: 'alice' }, {}]) {
      expect(plan(query)).not.toContain('TEMP B-TREE');
    }
    // The three are partial: the common rows (answered 200s of no named client) are not in them.
    const partial = database
      .prepare('PRAGMA index_list(requests)')
      .all()
      .filter((row) => row.partial === 1)
      .map((row) => String(row.name))
      .sort();
    expect(partial).toEqual(['requests_client', 'requests_status', 'requests_unanswered']);
  });

  it('pages through all 120 requests newest first, 50 at a time, without duplicates', () => {
    const first = listRequests(database, { limit: 50 });
    const second = listRequests(database, { limit: 50, cursor: first.nextCursor ?? undefined });
    const third = listRequests(database, { limit: 50, cursor: second.nextCursor ?? undefined });

    expect([first.items.length, second.items.length, third.items.length]).toEqual([50, 50, 20]);
    expect(third.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items, ...third.items].map((item) => item.id);
    expect(new Set(ids).size).toBe(120);
    expect(ids).toEqual(newestFirst(records).map((record) => record.id));
  });

  it('keeps paging stable when requests are logged between pages', async () => {
    const first = listRequests(database, { limit: 50 });
    await insert(
      database,
      Array.from({ length: 10 }, (_, index) =>
        sampleRecord({ id: `newer-${index}`, startedAt: base + 1_000_000 + index }),
      ),
    );
    const second = listRequests(database, { limit: 50, cursor: first.nextCursor ?? undefined });
    await insert(database, [sampleRecord({ id: 'newest', startedAt: base + 2_000_000 })]);
    const third = listRequests(database, { limit: 50, cursor: second.nextCursor ?? undefined });

    const ids = [...first.items, ...second.items, ...third.items].map((item) => item.id);
    expect(ids).toEqual(newestFirst(records).map((record) => record.id));
    expect(third.nextCursor).toBeNull();
  });

  it('defaults to 50 rows a page', () => {
    const page = listRequests(database);
    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).not.toBeNull();
  });

  it('filters by chain, provider, model, client, outcome and status, across pages', () => {
    const cases: [RequestLogQueryInput, (record: RequestRecord) => boolean][] = [
      [{ chain: 'smart' }, (record) => record.chain === 'smart'],
      [{ provider: 'cerebras' }, (record) => record.provider === 'cerebras'],
      [{ model: 'groq-model' }, (record) => record.model === 'groq-model'],
      [{ client: 'bob' }, (record) => record.metadata?.client === 'bob'],
      [{ outcome: 'failed' }, (record) => record.outcome === 'failed'],
      [{ status: 429 }, (record) => record.status === 429],
      [{ status: '4xx' }, (record) => record.status >= 400 && record.status < 500],
      [{ status: '5xx' }, (record) => record.status >= 500],
      [
        { status: '2xx', chain: 'fast', client: 'alice' },
        (record) => record.status === 200 && record.chain === 'fast' && record.metadata?.client === 'alice',
      ],
    ];
    for (const [query, matches] of cases) {
      const expected = newestFirst(records.filter(matches)).map((record) => record.id);
      expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
      expect(
        allPages(database, { ...query, limit: 7 }).map((item) => item.id),
        JSON.stringify(query),
      ).toEqual(expected);
    }
  });

  it('filters by time: from inclusive, to exclusive', () => {
    const from = base + 10_000;
    const to = base + 20_000;
    const expected = newestFirst(
      records.filter((record) => record.startedAt >= from && record.startedAt < to),
    );
    expect(expected).toHaveLength(20);
    expect(allPages(database, { from, to, limit: 6 }).map((item) => item.id)).toEqual(
      expected.map((record) => record.id),
    );
    expect(listRequests(database, { from: new Date(from).toISOString(), to: String(to) }).items).toHaveLength(
      20,
    );
  });

  it('accepts the raw strings of a query string, treating empty values as absent', () => {
    const page = listRequests(database, {
      limit: '10',
      status: '4XX',
      chain: '',
      provider: ' ',
      from: String(base),
    });
    expect(page.items).toHaveLength(10);
    expect(page.items.every((item) => item.status >= 400 && item.status < 500)).toBe(true);
  });

  it('summarizes each request without its trail', () => {
    const answered = listRequests(database, { limit: 500 }).items.find((item) => item.id === 'request-000');
    expect(answered).toEqual({
      id: 'request-000',
      chain: 'fast',
      kind: 'chat',
      stream: false,
      startedAt: base,
      endedAt: base + 120,
      outcome: 'answered',
      status: 200,
      provider: 'groq',
      model: 'groq-model',
      latencyMs: 120,
      ttftMs: undefined,
      queuedMs: undefined,
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      error: undefined,
      attemptCount: 1,
      fallback: false,
      client: 'alice',
      metadata: { client: 'alice' },
    });
  });

  it('rejects a cursor it did not make, naming the field', () => {
    for (const cursor of ['not a cursor!', 'aGVsbG8', encodeCursor({ startedAt: 1, id: 'x' }).slice(0, -2)]) {
      expect(zodIssues(() => listRequests(database, { cursor }))).toEqual([
        { path: ['cursor'], message: expect.stringMatching(/not a cursor returned by a previous page/) },
      ]);
    }
  });

  it('rejects other bad input with an issue naming each field', () => {
    const issues = zodIssues(() =>
      listRequests(database, { limit: '501', status: 'teapot', outcome: 'fine', from: 'yesterday-ish' }),
    );
    expect(issues.map((issue) => issue.path[0]).sort()).toEqual(['from', 'limit', 'outcome', 'status']);
    expect(zodIssues(() => listRequests(database, { from: base + 10, to: base }))).toEqual([
      { path: ['from'], message: 'must be before `to`' },
    ]);
    expect(zodIssues(() => listRequests(database, { limit: 0 }))[0]?.path).toEqual(['limit']);
  });

  it('exports the schema it validates with, for the HTTP layer', () => {
    const parsed = requestLogQuerySchema.parse({
      status: '502',
      limit: '20',
      cursor: encodeCursor({ startedAt: 5, id: 'a' }),
    });
    expect(parsed).toMatchObject({ status: 502, limit: 20, cursor: { startedAt: 5, id: 'a' } });
    expect(decodeCursor('@@@')).toBeUndefined();
  });

  it('returns one request with its attempts in order, as it was logged', async () => {
    const record = sampleRecord({
      id: 'with-trail',
      stream: true,
      ttftMs: 80,
      queuedMs: 15,
      metadata: { client: 'carol', project: 'demo' },
      provider: 'openrouter',
      model: 'free-model',
      attempts: [
        sampleAttempt({
          outcome: 'skipped',
          reason: 'cooldown for 12s: 429',
          failure: 'cooldown',
          status: undefined,
          usage: undefined,
          latencyMs: 0,
        }),
        sampleAttempt({
          provider: 'cerebras',
          entryIndex: 1,
          outcome: 'failed',
          reason: 'server error',
          status: 503,
          failure: 'server',
          retries: 1,
          usage: undefined,
        }),
        sampleAttempt({ provider: 'openrouter', model: 'free-model', entryIndex: 2, ttftMs: 70 }),
        sampleAttempt({ provider: 'groq', entryIndex: 3, continuation: true }),
      ],
    });
    await insert(database, [record]);

    const found = getRequest(database, 'with-trail');
    expect(found).toEqual(record);
    expect(found?.attempts.map((attempt) => attempt.entryIndex)).toEqual([0, 1, 2, 3]);
    expect(getRequest(database, 'request-003')).toEqual(records[3]);
  });

  it('returns undefined for a request it does not know', () => {
    expect(getRequest(database, 'missing')).toBeUndefined();
  });
});
