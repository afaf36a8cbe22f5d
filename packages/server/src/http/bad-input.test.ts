import type { MockProvider } from '@429chain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  type ErrorBody,
  mockProviderConfig,
  type ReadResponse,
  startTestMock,
  startTestServer,
  type TestServer,
} from '../testing/start-test-server.ts';

const bodyLimitBytes = 2_048;

let server: TestServer;
let mock: MockProvider;

// One server for the file: every request here is refused before routing, so none changes its state.
beforeAll(async () => {
  mock = await startTestMock();
  server = await startTestServer({
    config: {
      providers: [mockProviderConfig('alpha', mock)],
      chains: [{ name: 'main', entries: [{ provider: 'alpha', model: 'alpha-small' }] }],
      // No defaultChain: an unknown model is an error, not a route.
      settings: { bodyLimitBytes },
    },
  });
});

afterAll(closeTestResources);

const chatPath = '/v1/chat/completions';

function post(path: string, body: string, key?: string): Promise<ReadResponse<ErrorBody>> {
  return server.call<ErrorBody>(path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    key,
  });
}

function expectOpenAIError(
  response: ReadResponse<ErrorBody>,
  status: number,
  fields: Partial<ErrorBody['error']>,
): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body.error).sort()).toEqual(
    expect.arrayContaining(['code', 'message', 'param', 'type']),
  );
  expect(typeof response.body.error.message).toBe('string');
  expect(response.body.error).toMatchObject(fields);
  // Refused before routing: nothing reached the provider.
  expect(mock.requests).toHaveLength(0);
}

describe('malformed bodies on /v1', () => {
  it('refuses a body that is not JSON with 400 invalid_json', async () => {
    const response = await post(chatPath, '{"model": "main", "messages": [');

    expectOpenAIError(response, 400, { type: 'invalid_request_error', code: 'invalid_json' });
    expect(response.body.error.message).toMatch(/not valid JSON/);
  });

  it('refuses JSON that is not an object with 400 invalid_json', async () => {
    const response = await post(chatPath, '[1, 2]');

    expectOpenAIError(response, 400, { code: 'invalid_json' });
  });

  it('refuses a body over settings.bodyLimitBytes with 413 naming the limit', async () => {
    const padding = 'x'.repeat(bodyLimitBytes);
    const response = await post(chatPath, JSON.stringify(server.chat('main', { user: padding })));

    expectOpenAIError(response, 413, { code: 'request_too_large' });
    expect(response.body.error.message).toContain(`${bodyLimitBytes} bytes`);
    expect(response.body.error.message).toContain('settings.bodyLimitBytes');
  });

  it('refuses a chunked body (no content-length) over the limit with 413', async () => {
    const encoder = new TextEncoder();
    const piece = encoder.encode('x'.repeat(1_024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4) controller.close();
        else {
          sent++;
          controller.enqueue(piece);
        }
      },
    });

    const response = await server.read<ErrorBody>(
      await fetch(`${server.url}${chatPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit),
    );

    expectOpenAIError(response, 413, { code: 'request_too_large' });
  });

  it('names a missing messages field in param', async () => {
    const response = await post(chatPath, JSON.stringify({ model: 'main' }));

    expectOpenAIError(response, 400, { code: 'missing_required_parameter', param: 'messages' });
    expect(response.body.error.message).toContain("'messages'");
  });

  it('names a missing model field in param', async () => {
    const response = await post(chatPath, JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }));

    expectOpenAIError(response, 400, { code: 'missing_required_parameter', param: 'model' });
  });

  it.each([
    ['messages', { messages: 'hello' }],
    ['messages[0].role', { messages: [{ role: 'robot', content: 'hi' }] }],
    ['max_tokens', { max_tokens: 0 }],
    ['stream', { stream: 'yes' }],
  ] as const)('names an ill-typed %s in param', async (param, fields) => {
    const response = await post(chatPath, JSON.stringify(server.chat('main', fields)));

    expectOpenAIError(response, 400, { code: 'invalid_value', param });
    expect(response.body.error.message).toContain(`'${param}'`);
  });
});

describe('unknown models on /v1', () => {
  it('refuses an unknown chain when no default chain is set: 400 model_not_found, param model', async () => {
    const response = await post(chatPath, JSON.stringify(server.chat('no-such-chain')));

    expectOpenAIError(response, 400, { code: 'model_not_found', param: 'model' });
    expect(response.body.error.message).toContain('"no-such-chain"');
    expect(response.body.error.message).toContain('Known chains: main');
  });

  it('refuses a provider/model whose provider does not exist', async () => {
    const response = await post(chatPath, JSON.stringify(server.chat('ghost/alpha-small')));

    expectOpenAIError(response, 400, { code: 'model_not_found', param: 'model' });
    expect(response.body.error.message).toContain('"ghost/alpha-small"');
  });

  it('refuses an unknown embedding chain', async () => {
    const response = await post('/v1/embeddings', JSON.stringify({ model: 'no-such-chain', input: 'x' }));

    expectOpenAIError(response, 400, { code: 'model_not_found', param: 'model' });
  });
});

describe('wrong methods', () => {
  it('answers GET /v1/chat/completions with 405 and Allow: POST', async () => {
    const response = await server.call<ErrorBody>(chatPath);

    expectOpenAIError(response, 405, { code: 'method_not_allowed' });
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers DELETE /v1/models with 405 and Allow: GET, HEAD', async () => {
    const response = await server.call<ErrorBody>('/v1/models', { method: 'DELETE' });

    expectOpenAIError(response, 405, { code: 'method_not_allowed' });
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers a wrong method on admin routes with 405 and the allowed methods', async () => {
    const info = await server.admin<ErrorBody>('/api/info', { method: 'DELETE' });
    const providers = await server.admin<ErrorBody>('/api/providers', { method: 'PUT', json: {} });
    const reset = await server.admin<ErrorBody>('/api/ratelimits/reset');

    expectOpenAIError(info, 405, { code: 'method_not_allowed' });
    expect(info.headers.get('allow')).toBe('GET');
    expectOpenAIError(providers, 405, { code: 'method_not_allowed' });
    expect(providers.headers.get('allow')).toBe('GET, POST');
    expectOpenAIError(reset, 405, { code: 'method_not_allowed' });
    expect(reset.headers.get('allow')).toBe('POST');
  });
});

describe('unknown paths', () => {
  it('answers an unknown /v1 path with an OpenAI-shaped 404', async () => {
    const response = await server.call<ErrorBody>('/v1/audio/speech', { method: 'POST', json: {} });

    expectOpenAIError(response, 404, { code: 'unknown_url' });
  });

  it('answers an unknown /api path with 404 (for an admin)', async () => {
    const response = await server.admin<ErrorBody>('/api/nothing-here');

    expectOpenAIError(response, 404, { code: 'unknown_url' });
  });

  it('answers any other path with 404 when no dashboard is served', async () => {
    const root = await server.call<ErrorBody>('/');
    const page = await server.call<ErrorBody>('/some/page');

    expectOpenAIError(root, 404, { type: 'not_found_error', code: 'unknown_url' });
    expectOpenAIError(page, 404, { code: 'unknown_url' });
  });
});

describe('malformed bodies on /api', () => {
  it('refuses invalid JSON with 400 invalid_json', async () => {
    const response = await post('/api/providers', '{"id": ', server.adminKey);

    expectOpenAIError(response, 400, { code: 'invalid_json' });
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await post(
      '/api/providers',
      JSON.stringify({ id: 'big', type: 'generic', name: 'x'.repeat(bodyLimitBytes) }),
      server.adminKey,
    );

    expectOpenAIError(response, 413, { code: 'request_too_large' });
  });

  it('refuses an invalid query with 400 naming the parameter', async () => {
    const requests = await server.admin<ErrorBody>('/api/requests?limit=0');
    const stats = await server.admin<ErrorBody>('/api/stats?groupBy=planet');

    expectOpenAIError(requests, 400, { code: 'invalid_value', param: 'limit' });
    expectOpenAIError(stats, 400, { code: 'invalid_value', param: 'groupBy' });
  });
});
