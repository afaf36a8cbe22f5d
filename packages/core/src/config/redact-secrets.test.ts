/**
 * Issue 11, item 6: a key echoed back by a provider is redacted however it comes back:
 * as sent, in another letter case, URL-encoded, or JSON-escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChain } from '../create-chain.ts';
import type { RequestRecord } from '../events/request-record.ts';
import { errorReply, type MockProvider, startMockProvider } from '../testing/mock-provider.ts';
import { createRedactor } from './redact-secrets.ts';

const key = 'sk-Live/Key+With=Odd"Chars-9f3A';

describe('createRedactor', () => {
  const redact = createRedactor([key]);

  it.each([
    ['as sent', key],
    ['lower-cased', key.toLowerCase()],
    ['upper-cased', key.toUpperCase()],
    ['URL-encoded', encodeURIComponent(key)],
    [
      'URL-encoded with lower-case escapes',
      encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    ],
    ['JSON-escaped', JSON.stringify(key).slice(1, -1)],
    ['JSON-escaped with escaped slashes', JSON.stringify(key).slice(1, -1).replace(/\//g, '\\/')],
    ['JSON-escaped twice', JSON.stringify(JSON.stringify(key).slice(1, -1)).slice(1, -1)],
  ])('removes the key %s', (_form, echoed) => {
    const text = `upstream said: invalid key "${echoed}" (check it)`;
    expect(redact(text)).toBe('upstream said: invalid key "[redacted]" (check it)');
  });

  it('leaves short values and unrelated text alone', () => {
    expect(createRedactor(['abc'])('abc abc')).toBe('abc abc');
    expect(redact('nothing secret here')).toBe('nothing secret here');
  });
});

describe('redaction through chain.fetch', () => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await startMockProvider();
  });
  afterAll(() => mock.close());

  it('keeps an echoed key out of the answer, the trail and the record', async () => {
    const records: RequestRecord[] = [];
    const chain = createChain({
      providers: [{ id: 'p', type: 'generic', baseUrl: mock.url, apiKey: key }],
      chains: [{ name: 'main', entries: [{ provider: 'p', model: 'm' }] }],
    });
    chain.on('request-end', ({ record }) => records.push(record));
    mock.script('m', [
      errorReply(400, {
        error: {
          message: `Bad request from key ${key.toLowerCase()} / ${encodeURIComponent(key)}`,
          type: 'invalid_request_error',
        },
      }),
    ]);
    const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await response.text();
    await chain.close();

    const everything = [text, JSON.stringify([...response.headers]), JSON.stringify(records)].join('\n');
    for (const form of [key, key.toLowerCase(), encodeURIComponent(key)])
      expect(everything).not.toContain(form);
    expect(everything.toLowerCase()).not.toContain('odd"chars');
    expect(text).toContain('[redacted]');
  });
});
