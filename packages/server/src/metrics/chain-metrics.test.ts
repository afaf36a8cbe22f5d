import { errorReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestPage } from '../admin-api/admin-api.ts';
import { closeTestResources, startTwoEntryServer } from '../testing/start-test-server.ts';

afterEach(closeTestResources);

describe('chain429_fallbacks_total', () => {
  it('counts what the request record calls a fallback, as the request log does: not an unsuitable skip', async () => {
    const { server, alpha } = await startTwoEntryServer({
      settings: {},
      firstEntry: { capabilities: { contextWindow: 64 } },
    });
    alpha.script('alpha-small', [errorReply(429, { error: { message: 'Rate limit exceeded' } })]);

    // 1: too long for alpha's window: alpha is skipped as unsuitable, beta answers (no fallback).
    const long = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: { model: 'main', messages: [{ role: 'user', content: 'word '.repeat(400) }] },
    });
    // 2: alpha answers 429, beta answers (a fallback).
    const short = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    const metrics = await server.call('/metrics');
    const log = await server.admin<RequestPage>('/api/requests');

    expect([long.status, short.status]).toEqual([200, 200]);
    expect(long.headers.get('x-429chain-trail')).toBe(
      'alpha/alpha-small=skip(unsuitable), beta/beta-large=200',
    );
    expect(metrics.text.split('\n')).toContain('chain429_fallbacks_total{chain="main"} 1');
    expect(log.body.items.map((item) => [item.id, item.fallback])).toEqual([
      [short.headers.get('x-429chain-request-id'), true],
      [long.headers.get('x-429chain-request-id'), false],
    ]);
  });
});
