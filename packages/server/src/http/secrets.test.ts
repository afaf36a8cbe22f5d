/**
 * Issue 11, items 5 and 6. A provider that echoes its key back lower-cased, URL-encoded or
 * JSON-escaped reaches no client answer, request log, SQLite row or event stream; the Redis
 * store's password shows in no admin view and no log line.
 */
import { DatabaseSync } from 'node:sqlite';
import { errorReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  SseReader,
  startTestMock,
  startTestServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

const key = 'sk-Echo/Key+Value"Quoted-7c1D';

describe('a key echoed by a provider', () => {
  it.each([
    ['lower-cased', key.toLowerCase()],
    ['URL-encoded', encodeURIComponent(key)],
    ['JSON-escaped', JSON.stringify(key).slice(1, -1)],
  ])('is redacted %s from the answer, the log, SQLite and the event stream', async (_form, echoed) => {
    const mock = await startTestMock();
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('p-ok', mock, { apiKey: key })],
        chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
      },
    });
    const abort = new AbortController();
    const events = new SseReader(
      await server.fetch('/api/events', {
        headers: { authorization: `Bearer ${server.adminKey}` },
        signal: abort.signal,
      }),
    );
    await events.until((event) => event.event === 'status');
    mock.script('ok-model', [
      errorReply(400, { error: { message: `bad request for key ${echoed}`, type: 'invalid_request_error' } }),
    ]);

    const answer = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('okchain'),
    });
    const id = answer.headers.get('x-429chain-request-id')!;
    await events.until((event) => event.event === 'request-end');
    abort.abort();
    await events.cancel();
    await server.server.chain.close();
    const logged = await server.admin(`/api/requests/${id}`);
    await server.close();
    const database = new DatabaseSync(server.dbPath, { readOnly: true });
    const rows = JSON.stringify([
      database.prepare('SELECT * FROM requests').all(),
      database.prepare('SELECT * FROM attempts').all(),
    ]);
    database.close();

    expect(answer.status).toBe(400);
    expect(answer.text).toContain('[redacted]');
    for (const text of [answer.text, logged.text, rows, events.text]) {
      for (const form of [
        key,
        key.toLowerCase(),
        encodeURIComponent(key),
        JSON.stringify(key).slice(1, -1),
      ]) {
        expect(text).not.toContain(form);
      }
    }
  });
});

describe('the Redis store password', () => {
  it('is masked in GET /api/settings and in every log line, and kept when the settings come back masked', async () => {
    const lines: string[] = [];
    const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const mock = await startTestMock();
    // Nothing listens on port 1: the store falls back to memory and logs its outage.
    const url = 'redis://default:Sup3r-S3cret-Pass@127.0.0.1:1/0';
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('p-ok', mock)],
        chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
        settings: { store: { type: 'redis', url }, onStoreError: 'allow' },
      },
      start: { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } },
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('okchain') });

    const shown = await server.admin<{ settings: { store: { url: string } } }>('/api/settings');
    const patched = await server.admin<{ settings: Record<string, unknown> }>('/api/settings', {
      method: 'PATCH',
      json: { ...shown.body.settings, logRetentionDays: 7 },
    });
    const info = await server.admin('/api/info');
    await server.close();
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(server.configPath, 'utf8');

    expect(shown.body.settings.store.url).toBe('redis://default:***@127.0.0.1:1/0');
    expect(patched.status).toBe(200);
    expect(file).toContain(url);
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [...server.responseTexts, info.text, ...lines])
      expect(text).not.toContain('Sup3r-S3cret-Pass');
  }, 20_000);
});
