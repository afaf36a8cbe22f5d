import type { MockProvider } from '@429chain/core/testing';
import { completionReply, errorReply } from '@429chain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord, RequestPage, UsageStats } from '../admin-api/admin-api.ts';
import {
  closeTestResources,
  type ErrorBody,
  startTwoEntryServer,
  type TestServer,
} from '../testing/start-test-server.ts';

let server: TestServer;
let alpha: MockProvider;
let beta: MockProvider;
/** Request ids in the order they were made. */
const ids: Record<'first' | 'fellOver' | 'skipped' | 'refused' | 'malformed', string> = {
  first: '',
  fellOver: '',
  skipped: '',
  refused: '',
  malformed: '',
};

/**
 * A known sequence, made once for the file (read-only tests follow):
 * 1. main: alpha answers;
 * 2. main: alpha answers 429 (Retry-After 120 s), beta answers;
 * 3. main: alpha is skipped while exhausted, beta answers;
 * 4. solo: alpha refuses the request with a 400 (returned to the client, no failover);
 * 5. a body without messages (refused before routing).
 */
beforeAll(async () => {
  ({ server, alpha, beta } = await startTwoEntryServer({
    chains: [{ name: 'solo', entries: [{ provider: 'alpha', model: 'alpha-solo' }] }],
    settings: {},
  }));
  alpha.script('alpha-small', [
    completionReply({ model: 'alpha-small', usage: { prompt_tokens: 7, completion_tokens: 3 } }),
    errorReply(429, { error: { message: 'Rate limit exceeded' } }, { 'retry-after': '120' }),
  ]);
  alpha.script('alpha-solo', [
    errorReply(400, { error: { message: 'The prompt was refused.', type: 'invalid_request_error' } }),
  ]);
  beta.script('beta-large', [
    completionReply({ model: 'beta-large', usage: { prompt_tokens: 11, completion_tokens: 4 } }),
  ]);

  const send = async (body: Record<string, unknown>) => {
    const response = await server.call('/v1/chat/completions', { method: 'POST', json: body });
    return { status: response.status, id: response.headers.get('x-429chain-request-id')! };
  };
  const first = await send(server.chat('main'));
  const fellOver = await send(server.chat('main'));
  const skipped = await send(server.chat('main'));
  const refused = await send(server.chat('solo'));
  const malformed = await send({ model: 'main' });
  expect([first, fellOver, skipped, refused, malformed].map((sent) => sent.status)).toEqual([
    200, 200, 200, 400, 400,
  ]);
  Object.assign(ids, {
    first: first.id,
    fellOver: fellOver.id,
    skipped: skipped.id,
    refused: refused.id,
    malformed: malformed.id,
  });
});

afterAll(closeTestResources);

describe('GET /api/requests', () => {
  it('lists every request, newest first', async () => {
    const response = await server.admin<RequestPage>('/api/requests');

    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    expect(new Set(response.body.items.map((item) => item.id))).toEqual(new Set(Object.values(ids)));
    const starts = response.body.items.map((item) => item.startedAt);
    expect(starts).toEqual([...starts].sort((left, right) => right - left));
    expect(response.text).not.toContain('sk-alpha-secret-key-0000');
    expect(response.text).not.toContain('sk-beta-secret-key-0000');
  });

  it('filters by chain', async () => {
    const response = await server.admin<RequestPage>('/api/requests?chain=main');

    expect(response.body.items.map((item) => item.id).sort()).toEqual(
      [ids.first, ids.fellOver, ids.skipped].sort(),
    );
  });

  it('filters by the provider that answered', async () => {
    const response = await server.admin<RequestPage>('/api/requests?provider=beta');

    expect(response.body.items.map((item) => item.id).sort()).toEqual([ids.fellOver, ids.skipped].sort());
    expect(response.body.items.every((item) => item.fallback)).toBe(true);
  });

  it('filters by status class and by exact status', async () => {
    const clientErrors = await server.admin<RequestPage>('/api/requests?status=4xx');
    const successes = await server.admin<RequestPage>('/api/requests?status=200');

    expect(clientErrors.body.items.map((item) => item.id).sort()).toEqual(
      [ids.refused, ids.malformed].sort(),
    );
    expect(clientErrors.body.items.every((item) => item.outcome === 'failed')).toBe(true);
    expect(successes.body.items).toHaveLength(3);
  });

  it('combines filters', async () => {
    const response = await server.admin<RequestPage>('/api/requests?chain=solo&status=4xx&outcome=failed');

    expect(response.body.items.map((item) => item.id)).toEqual([ids.refused]);
    expect(response.body.items[0]).toMatchObject({ chain: 'solo', status: 400, attemptCount: 1 });
  });

  it('pages with a cursor: every request once, in the same order as one page', async () => {
    const whole = await server.admin<RequestPage>('/api/requests');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page: RequestPage = (await server.admin<RequestPage>(`/api/requests${query}`)).body;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);

    expect(pages).toBe(3);
    expect(seen).toEqual(whole.body.items.map((item) => item.id));
  });

  it('refuses a cursor it did not issue with 400 naming cursor', async () => {
    const response = await server.admin<ErrorBody>('/api/requests?cursor=not-a-cursor!');

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_value', param: 'cursor' });
  });
});

describe('GET /api/requests/:id', () => {
  it('shows an answer after a 429 with its whole trail', async () => {
    const response = await server.admin<{ outcome: string; provider: string; attempts: AttemptRecord[] }>(
      `/api/requests/${ids.fellOver}`,
    );

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'answered', provider: 'beta', status: 200 });
    expect(response.body.attempts).toEqual([
      expect.objectContaining({
        provider: 'alpha',
        model: 'alpha-small',
        key: 'key 1 (…0000)',
        outcome: 'failed',
        status: 429,
        failure: 'rate-limit',
      }),
      expect.objectContaining({ provider: 'beta', model: 'beta-large', outcome: 'answered', status: 200 }),
    ]);
  });

  it('shows a skipped entry with the reason it was skipped', async () => {
    const response = await server.admin<{ attempts: AttemptRecord[] }>(`/api/requests/${ids.skipped}`);

    const [skip, answer] = response.body.attempts;
    expect(response.body.attempts).toHaveLength(2);
    expect(skip).toMatchObject({ provider: 'alpha', outcome: 'skipped', failure: 'cooldown' });
    expect(skip!.status).toBeUndefined();
    expect(skip!.reason).toMatch(/^cooldown for 2m: 429 rate limit/);
    expect(answer).toMatchObject({ provider: 'beta', outcome: 'answered' });
  });

  it('shows a provider refusal as a failed attempt with its status and reason', async () => {
    const response = await server.admin<{
      outcome: string;
      error: { code: string };
      attempts: AttemptRecord[];
    }>(`/api/requests/${ids.refused}`);

    expect(response.body).toMatchObject({ outcome: 'failed', status: 400 });
    expect(response.body.attempts).toEqual([
      expect.objectContaining({ provider: 'alpha', model: 'alpha-solo', outcome: 'failed', status: 400 }),
    ]);
    expect(response.body.attempts[0]!.reason).not.toBe('');
  });

  it('answers 404 for an unknown id', async () => {
    const response = await server.admin<ErrorBody>('/api/requests/no-such-request');

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('request_not_found');
  });
});

describe('GET /api/stats', () => {
  const range = () => `from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}&bucket=hour`;

  it('counts per provider exactly', async () => {
    const response = await server.admin<UsageStats>(`/api/stats?groupBy=provider&${range()}`);

    expect(response.status).toBe(200);
    expect(response.body.groupBy).toBe('provider');
    const byGroup = Object.fromEntries(response.body.totals.map((total) => [total.group, total]));
    expect(Object.keys(byGroup).sort()).toEqual(['alpha', 'beta']);
    expect(byGroup.alpha).toMatchObject({
      requests: 1,
      answered: 1,
      failed: 2,
      cancelled: 0,
      fallbacks: 0,
      attempts: 3,
      skipped: 1,
      rateLimited: 2,
      errors: 1,
      promptTokens: 7,
      completionTokens: 3,
    });
    expect(byGroup.beta).toMatchObject({
      requests: 2,
      answered: 2,
      failed: 0,
      fallbacks: 2,
      attempts: 2,
      skipped: 0,
      rateLimited: 0,
      errors: 0,
      promptTokens: 22,
      completionTokens: 8,
    });
  });

  it('counts per chain exactly', async () => {
    const response = await server.admin<UsageStats>(`/api/stats?groupBy=chain&${range()}`);

    const byGroup = Object.fromEntries(response.body.totals.map((total) => [total.group, total]));
    expect(Object.keys(byGroup).sort()).toEqual(['-', 'main', 'solo']);
    expect(byGroup.main).toMatchObject({
      requests: 3,
      answered: 3,
      failed: 0,
      fallbacks: 2,
      attempts: 4,
      skipped: 1,
      rateLimited: 2,
      errors: 0,
      promptTokens: 29,
      completionTokens: 11,
    });
    expect(byGroup.solo).toMatchObject({ requests: 1, answered: 0, failed: 1, attempts: 1, errors: 1 });
    expect(byGroup['-']).toMatchObject({ requests: 1, answered: 0, failed: 1, attempts: 0 });
    expect(response.body.groups[0]).toBe('main');
  });

  it('puts the traffic in time buckets that add up to the totals', async () => {
    const response = await server.admin<UsageStats>(`/api/stats?groupBy=chain&${range()}`);

    const main = response.body.series.filter((point) => point.group === 'main');
    expect(main.reduce((sum, point) => sum + point.requests, 0)).toBe(3);
  });
});
