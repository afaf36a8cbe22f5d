import { completionReply, errorReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChainStatus, EntryStatus } from '../admin-api/admin-api.ts';
import {
  closeTestResources,
  type ErrorBody,
  startTwoEntryServer,
  type TwoEntryServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

/** The two-entry server, with alpha answering 429 (Retry-After 120 s) once. */
async function startRateLimitedServer(): Promise<TwoEntryServer> {
  const started = await startTwoEntryServer({ settings: {} });
  started.alpha.script('alpha-small', [
    errorReply(429, { error: { message: 'Rate limit exceeded' } }, { 'retry-after': '120' }),
    completionReply({ model: 'alpha-small' }),
  ]);
  return started;
}

function entry(status: ChainStatus, provider: string): EntryStatus {
  const found = status.entries.find((candidate) => candidate.provider === provider);
  if (!found) throw new Error(`no entry for ${provider}`);
  return found;
}

describe('rate limits API', () => {
  it('shows every entry available before any request', async () => {
    const { server } = await startRateLimitedServer();

    const response = await server.admin<ChainStatus>('/api/ratelimits');

    expect(response.status).toBe(200);
    expect(response.body.entries.map((found) => [found.provider, found.state])).toEqual([
      ['alpha', 'available'],
      ['beta', 'available'],
    ]);
  });

  it('shows an entry exhausted until the reset a 429 gave', async () => {
    const { server } = await startRateLimitedServer();
    const before = Date.now();

    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    const response = await server.admin<ChainStatus>('/api/ratelimits');

    const alpha = entry(response.body, 'alpha');
    expect(alpha).toMatchObject({ chain: 'main', model: 'alpha-small', state: 'exhausted' });
    // Retry-After: 120 seconds from when the 429 arrived.
    expect(alpha.until).toBeGreaterThanOrEqual(before + 120_000);
    expect(alpha.until).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(entry(response.body, 'beta').state).not.toBe('exhausted');
    expect(response.text).not.toContain('sk-alpha-secret-key-0000');
  });

  it('forgets the 429 on POST /api/ratelimits/reset: the entry serves the next request', async () => {
    const { server, alpha } = await startRateLimitedServer();
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    const skipped = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    expect(skipped.headers.get('x-429chain-provider')).toBe('beta');
    expect(alpha.requestsFor('alpha-small')).toHaveLength(1);

    const reset = await server.admin<{ reset: string; status: ChainStatus }>('/api/ratelimits/reset', {
      method: 'POST',
      json: {},
    });
    const answered = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    expect(reset.status).toBe(200);
    expect(reset.body.reset).toBe('all');
    expect(entry(reset.body.status, 'alpha').state).toBe('available');
    expect(answered.headers.get('x-429chain-provider')).toBe('alpha');
    expect(alpha.requestsFor('alpha-small')).toHaveLength(2);
  });

  it('resets one provider only', async () => {
    const { server } = await startRateLimitedServer();
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });

    const other = await server.admin<{ reset: string; status: ChainStatus }>('/api/ratelimits/reset', {
      method: 'POST',
      json: { provider: 'beta' },
    });
    const own = await server.admin<{ reset: string; status: ChainStatus }>('/api/ratelimits/reset', {
      method: 'POST',
      json: { provider: 'alpha' },
    });

    expect(other.body.reset).toBe('beta');
    expect(entry(other.body.status, 'alpha').state).toBe('exhausted');
    expect(own.body.reset).toBe('alpha');
    expect(entry(own.body.status, 'alpha').state).toBe('available');
  });

  it('refuses an unknown provider with 404 and an unknown field with 400', async () => {
    const { server } = await startRateLimitedServer();

    const unknown = await server.admin<ErrorBody>('/api/ratelimits/reset', {
      method: 'POST',
      json: { provider: 'ghost' },
    });
    const typo = await server.admin<ErrorBody>('/api/ratelimits/reset', {
      method: 'POST',
      json: { providr: 'alpha' },
    });

    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'provider_not_found', param: 'provider' });
    expect(typo.status).toBe(400);
    expect(typo.body.error.code).toBe('invalid_value');
    expect(typo.body.error.message).toContain('providr');
  });
});
