import type { MockProvider } from '@429chain/core/testing';
import { streamReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestSummary } from '../admin-api/admin-api.ts';
import {
  closeTestResources,
  SseReader,
  startTwoEntryServer,
  type TestServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

/** Waits until the request log shows the request as cancelled, and returns its entry. */
async function cancelledEntry(server: TestServer, requestId: string): Promise<RequestSummary> {
  return vi.waitFor(async () => {
    const page = await server.admin<{ items: RequestSummary[] }>('/api/requests?outcome=cancelled');
    const found = page.body.items.find((item) => item.id === requestId);
    if (!found) throw new Error(`request ${requestId} is not logged as cancelled yet`);
    return found;
  });
}

/** What the engine did after the client left: no failover, no cooldown. */
async function expectNoAftermath(server: TestServer, beta: MockProvider, requestId: string): Promise<void> {
  const record = await server.admin<{ attempts: Array<{ provider: string; outcome: string }> }>(
    `/api/requests/${requestId}`,
  );
  expect(record.body.attempts).toEqual([
    expect.objectContaining({ provider: 'alpha', outcome: 'cancelled' }),
  ]);
  expect(beta.requests).toHaveLength(0);
  const status = await server.admin<{ entries: Array<{ provider: string; state: string }> }>(
    '/api/ratelimits',
  );
  expect(status.body.entries.find((entry) => entry.provider === 'alpha')!.state).toBe('available');
}

describe('a client that goes away', () => {
  it('mid-stream: the upstream socket closes and the request is logged as cancelled', async () => {
    const { server, alpha, beta } = await startTwoEntryServer({ settings: {} });
    alpha.script('alpha-small', [streamReply({ tokens: ['Once', ' upon'], finish: false, after: 'hang' })]);
    const abort = new AbortController();

    const response = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main', { stream: true }),
      signal: abort.signal,
    });
    const requestId = response.headers.get('x-429chain-request-id')!;
    const reader = new SseReader(response);
    await reader.until((event) => event.data.includes(' upon'));
    abort.abort();
    await reader.cancel();

    await alpha.requestsFor('alpha-small')[0]!.socketClosed;
    const entry = await cancelledEntry(server, requestId);
    expect(entry).toMatchObject({ outcome: 'cancelled', status: 499 });
    await expectNoAftermath(server, beta, requestId);
  });

  it('before the first token: the upstream socket closes and the request is logged as cancelled', async () => {
    const { server, alpha, beta } = await startTwoEntryServer({ settings: {} });
    // Headers, then nothing: the engine is still waiting for the first content event.
    alpha.script('alpha-small', [{ type: 'stream', pieces: [': waiting\n\n'], after: 'hang' }]);
    const abort = new AbortController();

    const pending = server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main', { stream: true }),
      signal: abort.signal,
    });
    await vi.waitFor(() => expect(alpha.requestsFor('alpha-small')).toHaveLength(1));
    abort.abort();

    await expect(pending).rejects.toThrow(/abort/i);
    await alpha.requestsFor('alpha-small')[0]!.socketClosed;
    const page = await vi.waitFor(async () => {
      const found = await server.admin<{ items: RequestSummary[] }>('/api/requests?outcome=cancelled');
      expect(found.body.items).toHaveLength(1);
      return found.body.items;
    });
    expect(page[0]).toMatchObject({ outcome: 'cancelled', status: 499 });
    await expectNoAftermath(server, beta, page[0]!.id);
  });

  it('while a non-streaming upstream is silent: the upstream socket closes and nothing fails over', async () => {
    const { server, alpha, beta } = await startTwoEntryServer({ settings: {} });
    alpha.script('alpha-small', [{ type: 'silent' }]);
    const abort = new AbortController();

    const pending = server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main'),
      signal: abort.signal,
    });
    await vi.waitFor(() => expect(alpha.requestsFor('alpha-small')).toHaveLength(1));
    abort.abort();

    await expect(pending).rejects.toThrow(/abort/i);
    await alpha.requestsFor('alpha-small')[0]!.socketClosed;
    const items = await vi.waitFor(async () => {
      const found = await server.admin<{ items: RequestSummary[] }>('/api/requests?outcome=cancelled');
      expect(found.body.items).toHaveLength(1);
      return found.body.items;
    });
    expect(items[0]).toMatchObject({ outcome: 'cancelled', status: 499 });
    await expectNoAftermath(server, beta, items[0]!.id);
  });
});
