import { completionReply, errorReply, streamReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  parseSse,
  SseReader,
  startTestMock,
  startTestServer,
  startTwoEntryServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

/** The two-entry server, with an embedding chain besides. */
function startTwoProviderServer(settings: Record<string, unknown> = {}) {
  return startTwoEntryServer({
    chains: [{ name: 'vectors', kind: 'embedding', entries: [{ provider: 'beta', model: 'beta-embed' }] }],
    settings: { defaultChain: 'main', ...settings },
  });
}

describe('POST /v1/chat/completions', () => {
  it('answers a non-streaming request from the first entry and names it in headers', async () => {
    const { server, alpha, beta } = await startTwoProviderServer();
    alpha.script('alpha-small', [completionReply({ model: 'alpha-small', text: 'Hi there.' })]);

    const response = await server.call<{ model: string; choices: Array<{ message: { content: string } }> }>(
      '/v1/chat/completions',
      { method: 'POST', json: server.chat('main') },
    );

    expect(response.status).toBe(200);
    expect(response.body.model).toBe('alpha-small');
    expect(response.body.choices[0]!.message.content).toBe('Hi there.');
    expect(response.headers.get('x-429chain-chain')).toBe('main');
    expect(response.headers.get('x-429chain-provider')).toBe('alpha');
    expect(response.headers.get('x-429chain-model')).toBe('alpha-small');
    expect(response.headers.get('x-429chain-attempts')).toBe('1');
    expect(alpha.requests).toHaveLength(1);
    const seen = alpha.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe('Bearer sk-alpha-secret-key-0000');
    expect(seen.body).toMatchObject({
      model: 'alpha-small',
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(beta.requests).toHaveLength(0);
  });

  it('falls over to the next entry when the first answers 429', async () => {
    const { server, alpha, beta } = await startTwoProviderServer();
    alpha.script('alpha-small', [
      errorReply(429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '60' }),
    ]);

    const response = await server.call<{ model: string }>('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main'),
    });

    expect(response.status).toBe(200);
    expect(response.body.model).toBe('beta-large');
    expect(response.headers.get('x-429chain-provider')).toBe('beta');
    expect(response.headers.get('x-429chain-attempts')).toBe('2');
    expect(response.headers.get('x-429chain-trail')).toBe('alpha/alpha-small=429, beta/beta-large=200');
    expect(alpha.requestsFor('alpha-small')).toHaveLength(1);
    expect(beta.requestsFor('beta-large')).toHaveLength(1);
  });

  it('streams the upstream events through as they arrive, before the upstream has finished', async () => {
    const { server, alpha } = await startTwoProviderServer();
    // The upstream sends two content chunks and then neither finishes nor closes: whatever
    // the client reads now was forwarded as it came, not buffered to the end.
    alpha.script('alpha-small', [streamReply({ tokens: ['Hel', 'lo'], finish: false, after: 'hang' })]);
    const abort = new AbortController();

    const response = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main', { stream: true }),
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = new SseReader(response);
    let content = '';
    while (content !== 'Hello') {
      const event = await reader.next();
      if (!event) throw new Error(`stream ended early: ${reader.text}`);
      const chunk = JSON.parse(event.data) as { choices: Array<{ delta: { content?: string } }> };
      content += chunk.choices[0]?.delta.content ?? '';
    }

    expect(content).toBe('Hello');
    expect(reader.text).not.toContain('[DONE]');
    abort.abort();
    await reader.cancel();
    await alpha.requestsFor('alpha-small')[0]!.socketClosed;
  });

  it('ends a complete stream with [DONE], after the finish chunk', async () => {
    const { server, alpha } = await startTwoProviderServer();
    alpha.script('alpha-small', [streamReply({ tokens: ['One', ' two'] })]);

    const response = await server.fetch('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('main', { stream: true }),
    });
    const text = await response.text();
    const events = parseSse(text);

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('alpha');
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(
      (event) =>
        JSON.parse(event.data) as {
          choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
        },
    );
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('One two');
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(text.indexOf('[DONE]')).toBe(text.lastIndexOf('[DONE]'));
    expect(alpha.requestsFor('alpha-small')[0]!.body).toMatchObject({ stream: true });
  });
});

describe('GET /v1/models', () => {
  it('lists the chains first, then every provider/model entry once', async () => {
    const { server, alpha, beta } = await startTwoProviderServer();

    const response = await server.call<{ object: string; data: Array<{ id: string; owned_by: string }> }>(
      '/v1/models',
    );

    expect(response.status).toBe(200);
    expect(response.body.object).toBe('list');
    expect(response.body.data.map((model) => model.id)).toEqual([
      'main',
      'vectors',
      'alpha/alpha-small',
      'beta/beta-large',
      'beta/beta-embed',
    ]);
    expect(response.body.data[0]!.owned_by).toBe('429chain');
    expect(alpha.requests.length + beta.requests.length).toBe(0);
  });
});

describe('POST /v1/embeddings', () => {
  it('answers through a chain of embedding entries', async () => {
    const { server, beta } = await startTwoProviderServer();
    beta.script('beta-embed', [
      {
        type: 'json',
        body: {
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5, 1] }],
          model: 'beta-embed',
          usage: { prompt_tokens: 3, total_tokens: 3 },
        },
      },
    ]);

    const response = await server.call<{ object: string; data: Array<{ embedding: number[] }> }>(
      '/v1/embeddings',
      { method: 'POST', json: { model: 'vectors', input: 'embed me' } },
    );

    expect(response.status).toBe(200);
    expect(response.body.object).toBe('list');
    expect(response.body.data[0]!.embedding).toEqual([0.25, -0.5, 1]);
    expect(response.headers.get('x-429chain-chain')).toBe('vectors');
    const seen = beta.requestsFor('beta-embed');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/v1/embeddings');
    expect(seen[0]!.body).toEqual({ model: 'beta-embed', input: 'embed me' });
  });

  it('refuses a chat chain on the embeddings endpoint without calling upstream', async () => {
    const { server, alpha, beta } = await startTwoProviderServer();

    const response = await server.call('/v1/embeddings', {
      method: 'POST',
      json: { model: 'main', input: 'embed me' },
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'model_not_found', param: 'model' } });
    expect(alpha.requests.length + beta.requests.length).toBe(0);
  });
});

describe('GET /health and /ready', () => {
  it('reports liveness', async () => {
    const { server } = await startTwoProviderServer();

    const response = await server.call('/health');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('reports readiness with the config and database checks', async () => {
    const { server } = await startTwoProviderServer();

    const response = await server.call('/ready');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ready',
      mode: 'file',
      config: 'loaded',
      database: 'open',
      draining: false,
    });
  });
});

describe('GET /metrics', () => {
  const rateLimitHeaders = {
    'x-ratelimit-limit-requests': '1000',
    'x-ratelimit-remaining-requests': '997',
    'x-ratelimit-reset-requests': '4m19.2s',
    'x-ratelimit-limit-tokens': '12000',
    'x-ratelimit-remaining-tokens': '11500',
    'x-ratelimit-reset-tokens': '2.5s',
  };

  it('counts requests, attempts, fallbacks, upstream statuses and latency, and shows remaining quota', async () => {
    const flaky = await startTestMock();
    const groq = await startTestMock();
    flaky.script('flaky-model', [
      errorReply(429, { error: { message: 'Too many requests' } }, { 'retry-after': '120' }),
    ]);
    groq.script('llama-3.1-8b-instant', [
      completionReply({ model: 'llama-3.1-8b-instant', headers: rateLimitHeaders }),
    ]);
    const server = await startTestServer({
      config: {
        providers: [
          mockProviderConfig('flaky', flaky),
          { id: 'groq', type: 'groq', baseUrl: groq.url, apiKey: 'gsk-test-groq-key-0000g1' },
        ],
        chains: [
          {
            name: 'main',
            entries: [
              { provider: 'flaky', model: 'flaky-model' },
              { provider: 'groq', model: 'llama-3.1-8b-instant' },
            ],
          },
        ],
      },
    });

    // 1: flaky answers 429 (fallback to groq); 2: flaky is skipped while exhausted (fallback again).
    for (let index = 0; index < 2; index++) {
      const response = await server.call('/v1/chat/completions', {
        method: 'POST',
        json: server.chat('main'),
      });
      expect(response.status).toBe(200);
    }
    // 3: a bad request counts as a failed request with its status.
    await server.call('/v1/chat/completions', { method: 'POST', json: { model: 'main' } });

    const response = await server.call('/metrics');
    const text = response.text;

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(flaky.requests).toHaveLength(1);
    expect(groq.requests).toHaveLength(2);
    const lines = text.split('\n');
    const has = (line: string) => expect(lines).toContain(line);
    has('# TYPE chain429_requests_total counter');
    has('chain429_requests_total{chain="main",outcome="answered",status="200"} 2');
    has('chain429_requests_total{chain="(none)",outcome="failed",status="400"} 1');
    has('chain429_attempts_total{provider="flaky",model="flaky-model",outcome="failed"} 1');
    has('chain429_attempts_total{provider="flaky",model="flaky-model",outcome="skipped"} 1');
    has('chain429_attempts_total{provider="groq",model="llama-3.1-8b-instant",outcome="answered"} 2');
    has('chain429_fallbacks_total{chain="main"} 2');
    has('chain429_upstream_responses_total{provider="flaky",status="429"} 1');
    has('chain429_upstream_responses_total{provider="groq",status="200"} 2');
    has('# TYPE chain429_request_duration_seconds histogram');
    has('chain429_request_duration_seconds_bucket{chain="main",stream="false",le="+Inf"} 2');
    has('chain429_request_duration_seconds_count{chain="main",stream="false"} 2');
    expect(text).toMatch(/^chain429_request_duration_seconds_sum\{chain="main",stream="false"\} [\d.e-]+$/m);
    expect(text).toMatch(
      /^chain429_request_duration_seconds_bucket\{chain="main",stream="false",le="0\.005"\} \d+$/m,
    );
    has('chain429_attempt_duration_seconds_count{provider="flaky"} 1');
    has('chain429_attempt_duration_seconds_count{provider="groq"} 2');
    has('# TYPE chain429_ratelimit_remaining gauge');
    // The mock answers both requests with the same headers (997 left, 11500 tokens): the second
    // answer's snapshot cannot raise what the engine counted after reserving it (one request,
    // its 7 estimated tokens), so the buckets show 996 and 11493.
    has(
      'chain429_ratelimit_remaining{provider="groq",key="key 1 (…00g1)",model="llama-3.1-8b-instant",kind="requests",window="day",source="header",evidence=""} 996',
    );
    has(
      'chain429_ratelimit_remaining{provider="groq",key="key 1 (…00g1)",model="llama-3.1-8b-instant",kind="tokens",window="minute",source="header",evidence=""} 11493',
    );
    has(
      'chain429_entry_state{chain="main",provider="flaky",model="flaky-model",key="key 1 (…0000)",state="exhausted"} 1',
    );
    has('chain429_store_up{store="memory"} 1');
    expect(text).not.toContain('gsk-test-groq-key-0000g1');
    expect(text).not.toContain('sk-flaky-secret-key-0000');
  });

  it('reports resident memory, and a heap compaction at startup and after each quiet spell', async () => {
    const { server } = await startTwoProviderServer({ compactMemoryAfterIdleMs: 100 });
    const compactions = async () => {
      const text = (await server.call('/metrics')).text;
      expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d{6,}$/m);
      expect(text).toMatch(/^chain429_memory_compaction_seconds_total [\d.e-]+$/m);
      return Number(/^chain429_memory_compactions_total (\d+)$/m.exec(text)?.[1]);
    };

    expect(await compactions()).toBeGreaterThanOrEqual(1);
    const chat = await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    expect(chat.status).toBe(200);
    // Each scrape is a request too; 400 ms apart leaves the proxy quiet for 100 ms in between.
    let seen = 0;
    for (let poll = 0; poll < 25 && seen < 2; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      seen = await compactions();
    }
    expect(seen).toBeGreaterThanOrEqual(2);
  });

  it('never compacts the heap when compactMemoryAfterIdleMs is 0', async () => {
    const { server } = await startTwoProviderServer({ compactMemoryAfterIdleMs: 0 });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('main') });
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect((await server.call('/metrics')).text).toMatch(/^chain429_memory_compactions_total 0$/m);
  });

  it('records nothing but the scrape itself when no request was made', async () => {
    const { server } = await startTwoProviderServer();

    const response = await server.call('/metrics');

    expect(response.status).toBe(200);
    expect(response.text).toContain('# TYPE chain429_requests_total counter');
    expect(response.text).not.toMatch(/^chain429_requests_total\{/m);
    expect(response.text.endsWith('\n')).toBe(true);
  });
});
