import { completionReply, errorReply, streamReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../admin-api/admin-api.ts';
import {
  closeTestResources,
  type ErrorBody,
  parseSse,
  SseReader,
  startTwoEntryServer,
  type TestServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

async function openEvents(server: TestServer, signal: AbortSignal): Promise<SseReader> {
  const response = await server.fetch('/api/events', {
    headers: { authorization: `Bearer ${server.adminKey}` },
    signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return new SseReader(response);
}

describe('GET /api/events', () => {
  it('sends hello and status first, then the events of a request made while connected', async () => {
    const { server } = await startTwoEntryServer();
    const abort = new AbortController();
    const events = await openEvents(server, abort.signal);

    const hello = await events.next();
    const status = await events.next();
    expect(hello).toMatchObject({ event: 'hello' });
    expect(JSON.parse(hello!.data)).toEqual({ mode: 'file', version: expect.any(String) });
    expect(status!.event).toBe('status');
    expect(JSON.parse(status!.data)).toMatchObject({ entries: expect.any(Array), queue: { size: 0 } });

    const answered = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    const requestId = answered.headers.get('x-429chain-request-id')!;
    const start = await events.until((event) => event.event === 'request-start');
    const attempt = await events.until((event) => event.event === 'attempt-end');
    const end = await events.until((event) => event.event === 'request-end');
    const after = await events.until((event) => event.event === 'status');

    expect(JSON.parse(start.data)).toMatchObject({ id: requestId, chain: 'main' });
    expect(JSON.parse(attempt.data)).toMatchObject({
      requestId,
      attempt: { provider: 'alpha', outcome: 'answered' },
    });
    expect(JSON.parse(end.data)).toMatchObject({ id: requestId, outcome: 'answered', provider: 'alpha' });
    expect(JSON.parse(after.data)).toHaveProperty('entries');
    expect(events.text).not.toContain('sk-alpha-secret-key-0000');
    abort.abort();
    await events.cancel();
  });

  it('announces a config change made through the admin API', async () => {
    const { server } = await startTwoEntryServer();
    const abort = new AbortController();
    const events = await openEvents(server, abort.signal);
    await events.until((event) => event.event === 'status');

    await server.admin('/api/settings', { method: 'PATCH', json: { cooldownDefaultMs: 1_000 } });
    const change = await events.until((event) => event.event === 'config-change');

    expect(JSON.parse(change.data)).toEqual({ at: expect.any(Number) });
    abort.abort();
    await events.cancel();
  });

  it('ends the stream when the server shuts down', async () => {
    const { server } = await startTwoEntryServer();
    const events = await openEvents(server, new AbortController().signal);
    await events.until((event) => event.event === 'status');

    await server.close();

    expect(await events.rest()).toEqual([]);
  });
});

describe('POST /api/test', () => {
  it('runs a prompt through a chain and returns the content with the record and its trail', async () => {
    const { server, alpha, beta } = await startTwoEntryServer();
    alpha.script('alpha-small', [
      errorReply(429, { error: { message: 'slow down' } }, { 'retry-after': '30' }),
    ]);
    beta.script('beta-large', [completionReply({ model: 'beta-large', text: 'Test answer.' })]);

    const response = await server.admin<{
      ok: boolean;
      status: number;
      content: string;
      answer: { model: string };
      record: RequestRecord;
    }>('/api/test', { method: 'POST', json: { chain: 'main', prompt: 'Are you there?', maxTokens: 16 } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, status: 200, content: 'Test answer.' });
    expect(response.body.answer.model).toBe('beta-large');
    expect(response.body.record).toMatchObject({
      chain: 'main',
      outcome: 'answered',
      provider: 'beta',
      metadata: { client: 'admin test' },
    });
    expect(response.body.record.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
      ['alpha', 'failed'],
      ['beta', 'answered'],
    ]);
    expect(beta.requestsFor('beta-large')[0]!.body).toMatchObject({
      messages: [{ role: 'user', content: 'Are you there?' }],
      max_tokens: 16,
    });
  });

  it('runs a prompt through one provider and model', async () => {
    const { server, alpha, beta } = await startTwoEntryServer();

    const response = await server.admin<{ ok: boolean; record: RequestRecord }>('/api/test', {
      method: 'POST',
      json: { provider: 'beta', model: 'beta-other', prompt: 'Hello?' },
    });

    expect(response.body.ok).toBe(true);
    expect(response.body.record).toMatchObject({ chain: 'beta/beta-other', provider: 'beta' });
    expect(beta.requestsFor('beta-other')).toHaveLength(1);
    expect(alpha.requests).toHaveLength(0);
  });

  it('returns the failure and its record when nothing answers', async () => {
    const { server, alpha } = await startTwoEntryServer();
    alpha.script('alpha-solo', [
      errorReply(400, { error: { message: 'refused', type: 'invalid_request_error' } }),
    ]);

    const response = await server.admin<{
      ok: boolean;
      status: number;
      content: null;
      record: RequestRecord;
    }>('/api/test', { method: 'POST', json: { provider: 'alpha', model: 'alpha-solo', prompt: 'Hello?' } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: false, status: 400, content: null });
    expect(response.body.record).toMatchObject({ outcome: 'failed', status: 400 });
  });

  it('streams the answer as SSE chunks, then an event: record with the trail', async () => {
    const { server, alpha } = await startTwoEntryServer();
    alpha.script('alpha-small', [streamReply({ model: 'alpha-small', tokens: ['Str', 'eamed'] })]);

    const response = await server.fetch('/api/test', {
      method: 'POST',
      json: { chain: 'main', prompt: 'Stream it.', stream: true },
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    const events = parseSse(await response.text());

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const record = events.at(-1)!;
    expect(record.event).toBe('record');
    const recordBody = JSON.parse(record.data) as RequestRecord;
    expect(recordBody).toMatchObject({ outcome: 'answered', provider: 'alpha', chain: 'main' });
    expect(recordBody.id).toBe(response.headers.get('x-429chain-request-id'));
    expect(events.at(-2)!.data).toBe('[DONE]');
    const text = events
      .filter((event) => event.event === undefined && event.data !== '[DONE]')
      .map((event) => JSON.parse(event.data) as { choices: Array<{ delta?: { content?: string } }> })
      .map((chunk) => chunk.choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('Streamed');
    expect(alpha.requestsFor('alpha-small')[0]!.body).toMatchObject({ stream: true });
  });

  it('refuses a body without a prompt, or without a chain or entry, naming the field', async () => {
    const { server, alpha } = await startTwoEntryServer();

    const noPrompt = await server.admin<ErrorBody>('/api/test', { method: 'POST', json: { chain: 'main' } });
    const noTarget = await server.admin<ErrorBody>('/api/test', { method: 'POST', json: { prompt: 'Hi' } });
    const unknown = await server.admin<ErrorBody>('/api/test', {
      method: 'POST',
      json: { provider: 'ghost', model: 'x', prompt: 'Hi' },
    });

    expect(noPrompt.status).toBe(400);
    expect(noPrompt.body.error).toMatchObject({ code: 'invalid_value', param: 'prompt' });
    expect(noTarget.status).toBe(400);
    expect(noTarget.body.error).toMatchObject({ code: 'invalid_value', param: 'chain' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'provider_not_found', param: 'provider' });
    expect(alpha.requests).toHaveLength(0);
  });
});
