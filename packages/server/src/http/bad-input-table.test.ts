/**
 * Issue 11's bad-input suite: 100+ hostile or malformed inputs across /v1, /api, headers and
 * config files. Each must get a clean OpenAI-shaped 4xx that names the field at fault, leave
 * the server up, and spend nothing upstream. One server for the file: nothing here may change
 * its state, which the last test checks.
 */

import { toOpenAIError } from '@429chain/core';
import type { MockProvider } from '@429chain/core/testing';
import { ConfigFile } from '@429chain/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  type ErrorBody,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
  testAdminKey,
} from '../testing/start-test-server.ts';

let server: TestServer;
let mock: MockProvider;

beforeAll(async () => {
  mock = await startTestMock();
  server = await startTestServer({
    config: {
      providers: [mockProviderConfig('p-ok', mock, { models: ['listed'] })],
      chains: [
        { name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] },
        { name: 'vectors', kind: 'embedding', entries: [{ provider: 'p-ok', model: 'embed' }] },
      ],
      settings: { bodyLimitBytes: 65_536 },
    },
  });
});
afterAll(closeTestResources);

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** A JSON value, or raw text when a string. */
  body?: unknown;
  status: number;
  code?: string;
  /** The field the error must name, in `param` or in the message (or in `issues[].path`). */
  field?: string;
}

const user = { role: 'user', content: 'hi' };
const chat = (fields: Record<string, unknown>) => ({ model: 'okchain', messages: [user], ...fields });
const chatCase = (name: string, body: unknown, code: string, field?: string, status = 400): Case => ({
  name: `/v1/chat/completions: ${name}`,
  method: 'POST',
  path: '/v1/chat/completions',
  body,
  status,
  code,
  field,
});

const badNames: Array<[string, string]> = [
  ['CR LF header injection', 'p-ok/m\r\nx-injected: 1'],
  ['LF', 'p-ok/m\nx-injected: 1'],
  ['CR', 'okchain\r'],
  ['NUL', 'okchain\u0000'],
  ['U+2028', 'p-ok/m\u2028x'],
  ['U+2029', 'p-ok/m\u2029x'],
  ['DEL', 'okchain\u007f'],
  ['a C1 control', 'okchain\u0085'],
  ['a tab', 'ok\tchain'],
  ['an escape sequence', '\u001b[31mred'],
  ['a lone surrogate', 'okchain\ud800'],
  ['300 characters', 'm'.repeat(300)],
];

const cases: Case[] = [
  // Bodies on /v1/chat/completions
  chatCase('not JSON', '{"model": "okchain", "messages": [', 'invalid_json'),
  chatCase('empty body', '', 'invalid_json'),
  chatCase('a JSON array', '[1, 2]', 'invalid_json'),
  chatCase('a JSON string', '"hello"', 'invalid_json'),
  chatCase('a JSON number', '42', 'invalid_json'),
  chatCase('JSON null', 'null', 'invalid_json'),
  chatCase('trailing garbage', '{"model":"okchain","messages":[]} x', 'invalid_json'),
  chatCase(
    'nested 5,000 deep',
    `{"model":"okchain","messages":[{"role":"user","content":"x"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    'invalid_json',
    'x',
  ),
  chatCase(
    'objects nested 1,000 deep',
    `{"model":"okchain","messages":[{"role":"user","content":"x"}],"y":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`,
    'invalid_json',
    'y',
  ),
  chatCase('missing model', { messages: [user] }, 'missing_required_parameter', 'model'),
  chatCase('model null', { model: null, messages: [user] }, 'invalid_value', 'model'),
  chatCase('model a number', { model: 42, messages: [user] }, 'invalid_value', 'model'),
  chatCase('model an object', { model: { name: 'x' }, messages: [user] }, 'invalid_value', 'model'),
  chatCase('model an array', { model: ['okchain'], messages: [user] }, 'invalid_value', 'model'),
  chatCase('model empty', { model: '', messages: [user] }, 'invalid_value', 'model'),
  ...badNames.map(([name, model]) =>
    chatCase(`model with ${name}`, { model, messages: [user] }, 'invalid_value', 'model'),
  ),
  chatCase(
    'an unknown chain and no default',
    { model: 'no-such-chain', messages: [user] },
    'model_not_found',
    'model',
  ),
  chatCase('an unknown provider', { model: 'nope/model', messages: [user] }, 'model_not_found', 'model'),
  chatCase(
    'an unlisted model',
    { model: 'p-ok/distinct-model-1', messages: [user] },
    'model_not_found',
    'model',
  ),
  chatCase('an unlisted non-ASCII model', { model: 'p-ok/é', messages: [user] }, 'model_not_found', 'model'),
  chatCase('an emoji chain name', { model: '🙂', messages: [user] }, 'model_not_found', 'model'),
  chatCase('provider/ with no model', { model: 'p-ok/', messages: [user] }, 'model_not_found', 'model'),
  chatCase('an embedding chain', { model: 'vectors', messages: [user] }, 'model_not_found', 'model'),
  chatCase('missing messages', { model: 'okchain' }, 'missing_required_parameter', 'messages'),
  chatCase('messages empty', { model: 'okchain', messages: [] }, 'invalid_value', 'messages'),
  chatCase('messages a string', { model: 'okchain', messages: 'hi' }, 'invalid_value', 'messages'),
  chatCase(
    'messages an object',
    { model: 'okchain', messages: { role: 'user' } },
    'invalid_value',
    'messages',
  ),
  chatCase('messages null', { model: 'okchain', messages: null }, 'invalid_value', 'messages'),
  chatCase(
    'a message that is a string',
    { model: 'okchain', messages: ['hi'] },
    'invalid_value',
    'messages[0]',
  ),
  chatCase('a message that is null', { model: 'okchain', messages: [null] }, 'invalid_value', 'messages[0]'),
  chatCase(
    'a message without role',
    { model: 'okchain', messages: [{ content: 'hi' }] },
    'missing_required_parameter',
    'messages[0].role',
  ),
  chatCase(
    'an unknown role',
    { model: 'okchain', messages: [{ role: 'wizard', content: 'hi' }] },
    'invalid_value',
    'messages[0].role',
  ),
  chatCase(
    'a role that is a number',
    { model: 'okchain', messages: [{ role: 1, content: 'hi' }] },
    'invalid_value',
    'messages[0].role',
  ),
  chatCase(
    'content a number',
    { model: 'okchain', messages: [{ role: 'user', content: 5 }] },
    'invalid_value',
    'messages[0].content',
  ),
  chatCase(
    'content an object',
    { model: 'okchain', messages: [{ role: 'user', content: { text: 'hi' } }] },
    'invalid_value',
    'messages[0].content',
  ),
  chatCase(
    'a content part without type',
    { model: 'okchain', messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    'invalid_value',
    'messages[0].content',
  ),
  chatCase(
    'the second message bad',
    { model: 'okchain', messages: [user, { role: 'robot' }] },
    'invalid_value',
    'messages[1].role',
  ),
  chatCase('stream a string', chat({ stream: 'yes' }), 'invalid_value', 'stream'),
  chatCase('stream a number', chat({ stream: 1 }), 'invalid_value', 'stream'),
  chatCase('stream_options a string', chat({ stream_options: 'usage' }), 'invalid_value', 'stream_options'),
  chatCase(
    'include_usage a string',
    chat({ stream_options: { include_usage: 'yes' } }),
    'invalid_value',
    'stream_options.include_usage',
  ),
  chatCase('max_tokens zero', chat({ max_tokens: 0 }), 'invalid_value', 'max_tokens'),
  chatCase('max_tokens negative', chat({ max_tokens: -5 }), 'invalid_value', 'max_tokens'),
  chatCase('max_tokens fractional', chat({ max_tokens: 1.5 }), 'invalid_value', 'max_tokens'),
  chatCase('max_tokens a string', chat({ max_tokens: '100' }), 'invalid_value', 'max_tokens'),
  chatCase(
    'max_completion_tokens zero',
    chat({ max_completion_tokens: 0 }),
    'invalid_value',
    'max_completion_tokens',
  ),
  chatCase('tools an object', chat({ tools: { type: 'function' } }), 'invalid_value', 'tools'),
  chatCase(
    'a tool without type',
    chat({ tools: [{ function: { name: 'f' } }] }),
    'missing_required_parameter',
    'tools[0].type',
  ),
  chatCase('a tool that is a string', chat({ tools: ['f'] }), 'invalid_value', 'tools[0]'),
  chatCase('response_format a string', chat({ response_format: 'json' }), 'invalid_value', 'response_format'),
  chatCase(
    'response_format without type',
    chat({ response_format: {} }),
    'missing_required_parameter',
    'response_format.type',
  ),
  chatCase('n zero', chat({ n: 0 }), 'invalid_value', 'n'),
  chatCase('n fractional', chat({ n: 2.5 }), 'invalid_value', 'n'),
  chatCase(
    'a body over settings.bodyLimitBytes',
    chat({ user: 'x'.repeat(70_000) }),
    'request_too_large',
    'settings.bodyLimitBytes',
    413,
  ),
  // /v1/embeddings
  ...(
    [
      ['missing input', { model: 'vectors' }, 'missing_required_parameter', 'input'],
      ['input a number', { model: 'vectors', input: 5 }, 'invalid_value', 'input'],
      ['input empty list', { model: 'vectors', input: [] }, 'invalid_value', 'input'],
      ['input mixed list', { model: 'vectors', input: ['a', 1] }, 'invalid_value', 'input'],
      ['input an object', { model: 'vectors', input: { text: 'a' } }, 'invalid_value', 'input'],
      ['a chat chain', { model: 'okchain', input: 'a' }, 'model_not_found', 'model'],
      ['model with CR LF', { model: 'vectors\r\nx: 1', input: 'a' }, 'invalid_value', 'model'],
      ['missing model', { input: 'a' }, 'missing_required_parameter', 'model'],
    ] as const
  ).map(
    ([name, body, code, field]): Case => ({
      name: `/v1/embeddings: ${name}`,
      method: 'POST',
      path: '/v1/embeddings',
      body,
      status: 400,
      code,
      field,
    }),
  ),
  // Paths and methods
  {
    name: 'GET /v1/chat/completions',
    path: '/v1/chat/completions',
    status: 405,
    code: 'method_not_allowed',
    field: 'POST',
  },
  {
    name: 'PUT /v1/embeddings',
    method: 'PUT',
    path: '/v1/embeddings',
    body: {},
    status: 405,
    code: 'method_not_allowed',
    field: 'POST',
  },
  {
    name: 'DELETE /v1/models',
    method: 'DELETE',
    path: '/v1/models',
    status: 405,
    code: 'method_not_allowed',
    field: 'GET',
  },
  { name: 'an unknown /v1 path', path: '/v1/nope', status: 404, code: 'unknown_url', field: '/v1/nope' },
  { name: 'a traversal-looking path', path: '/v1/../../etc/passwd', status: 404, code: 'unknown_url' },
  { name: 'an unknown top-level path', path: '/nope', status: 404, code: 'unknown_url', field: '/nope' },
  // Headers
  {
    name: 'a foreign Host without client keys',
    path: '/v1/models',
    headers: { 'x-host-override': 'rebind.evil.example' },
    status: 403,
    code: 'host_not_allowed',
    field: 'settings.allowedHosts',
  },
  {
    name: 'a cross-site Origin',
    path: '/v1/models',
    headers: { origin: 'http://evil.example' },
    status: 403,
    code: 'origin_not_allowed',
    field: 'settings.cors.origins',
  },
  {
    name: 'the null Origin',
    path: '/v1/models',
    headers: { origin: 'null' },
    status: 403,
    code: 'origin_not_allowed',
    field: 'settings.cors.origins',
  },
  {
    name: 'a cross-site text/plain post',
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { origin: 'https://attacker.example', 'content-type': 'text/plain' },
    body: JSON.stringify(chat({})),
    status: 403,
    code: 'origin_not_allowed',
    field: 'settings.cors.origins',
  },
  {
    name: '/api without a key',
    path: '/api/info',
    headers: { authorization: '' },
    status: 401,
    code: 'missing_admin_key',
    field: 'Authorization',
  },
  {
    name: '/api with a wrong key',
    path: '/api/info',
    headers: { authorization: 'Bearer wrong-key-000000000' },
    status: 401,
    code: 'invalid_admin_key',
  },
  {
    name: '/api with a Basic scheme',
    path: '/api/info',
    headers: { authorization: `Basic ${btoa('a:b')}` },
    status: 401,
    code: 'missing_admin_key',
    field: 'Authorization',
  },
  {
    name: '/api with x-api-key wrong',
    path: '/api/info',
    headers: { authorization: '', 'x-api-key': 'nope-nope-nope-nope' },
    status: 401,
    code: 'invalid_admin_key',
  },
  {
    name: '/metrics is open, /api/openapi.json is not',
    path: '/api/openapi.json',
    headers: { authorization: '' },
    status: 401,
    code: 'missing_admin_key',
  },
  // Admin API bodies and queries
  ...adminCases(),
];

function adminCases(): Case[] {
  const admin = (
    name: string,
    method: string,
    path: string,
    body: unknown,
    status: number,
    code: string,
    field?: string,
  ): Case => ({
    name: `${method} ${path}: ${name}`,
    method,
    path,
    headers: { authorization: `Bearer ${testAdminKey}` },
    body,
    status,
    code,
    field,
  });
  return [
    admin('not JSON', 'POST', '/api/providers', '{"id":', 400, 'invalid_json'),
    admin('a JSON array', 'POST', '/api/providers', '[]', 400, 'invalid_json'),
    admin('a provider without type', 'POST', '/api/providers', { id: 'x' }, 400, 'invalid_config', 'type'),
    admin(
      'an unknown preset',
      'POST',
      '/api/providers',
      { id: 'x', type: 'nonesuch' },
      400,
      'invalid_config',
      'type',
    ),
    admin(
      'a provider id with a slash',
      'POST',
      '/api/providers',
      { id: 'a/b', type: 'ollama' },
      400,
      'invalid_config',
      'id',
    ),
    admin(
      'a provider id with CR LF',
      'POST',
      '/api/providers',
      { id: 'a\r\nb', type: 'ollama' },
      400,
      'invalid_config',
      'id',
    ),
    admin(
      'a provider id empty',
      'POST',
      '/api/providers',
      { id: '', type: 'ollama' },
      400,
      'invalid_config',
      'id',
    ),
    admin(
      'a duplicate id',
      'POST',
      '/api/providers',
      { id: 'p-ok', type: 'ollama' },
      409,
      'provider_exists',
      'p-ok',
    ),
    admin(
      'a bad baseUrl',
      'POST',
      '/api/providers',
      { id: 'x', type: 'generic', baseUrl: 'not a url' },
      400,
      'invalid_config',
      'baseUrl',
    ),
    admin(
      'generic without baseUrl',
      'POST',
      '/api/providers',
      { id: 'x', type: 'generic' },
      400,
      'invalid_config',
      'baseUrl',
    ),
    admin(
      'groq without a key',
      'POST',
      '/api/providers',
      { id: 'x', type: 'groq' },
      400,
      'invalid_config',
      'apiKey',
    ),
    admin(
      'an empty key',
      'POST',
      '/api/providers',
      { id: 'x', type: 'groq', apiKey: '' },
      400,
      'invalid_config',
      'apiKey',
    ),
    admin(
      'a negative timeout',
      'POST',
      '/api/providers',
      { id: 'x', type: 'ollama', timeout: -1 },
      400,
      'invalid_config',
      'timeout',
    ),
    admin(
      'rate limits of the wrong type',
      'POST',
      '/api/providers',
      { id: 'x', type: 'ollama', rateLimits: { requestsPerMinute: 'ten' } },
      400,
      'invalid_config',
      'rateLimits.requestsPerMinute',
    ),
    admin(
      'an unknown field',
      'POST',
      '/api/providers',
      { id: 'x', type: 'ollama', colour: 'blue' },
      400,
      'invalid_config',
      'colour',
    ),
    admin(
      'deeply nested headers',
      'POST',
      '/api/providers',
      `{"id":"x","type":"ollama","headers":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`,
      400,
      'invalid_json',
      'headers',
    ),
    admin(
      'a masked key that matches none',
      'PATCH',
      '/api/providers/p-ok',
      { apiKey: '…zzzz' },
      400,
      'invalid_value',
      'apiKey',
    ),
    admin(
      'a masked URL',
      'PATCH',
      '/api/providers/p-ok',
      { baseUrl: 'http://user:***@127.0.0.1/v1' },
      400,
      'masked_url',
      'baseUrl',
    ),
    admin(
      'an unknown provider',
      'PATCH',
      '/api/providers/nope',
      { name: 'x' },
      404,
      'provider_not_found',
      'nope',
    ),
    admin(
      'deleting a provider in use',
      'DELETE',
      '/api/providers/p-ok',
      undefined,
      409,
      'provider_in_use',
      'p-ok',
    ),
    admin(
      'a chain without entries',
      'POST',
      '/api/chains',
      { name: 'c', entries: [] },
      400,
      'invalid_config',
      'entries',
    ),
    admin(
      'a chain with an unknown provider',
      'POST',
      '/api/chains',
      { name: 'c', entries: [{ provider: 'nope', model: 'm' }] },
      400,
      'invalid_config',
      'entries[0].provider',
    ),
    admin(
      'a chain name with a slash',
      'POST',
      '/api/chains',
      { name: 'a/b', entries: [{ provider: 'p-ok', model: 'm' }] },
      400,
      'invalid_config',
      'name',
    ),
    admin(
      'a chain name with a NUL',
      'POST',
      '/api/chains',
      { name: 'a\u0000b', entries: [{ provider: 'p-ok', model: 'm' }] },
      400,
      'invalid_config',
      'name',
    ),
    admin(
      'a duplicate chain name',
      'POST',
      '/api/chains',
      { name: 'okchain', entries: [{ provider: 'p-ok', model: 'm' }] },
      409,
      'chain_exists',
      'name',
    ),
    admin(
      'an entry without model',
      'POST',
      '/api/chains',
      { name: 'c', entries: [{ provider: 'p-ok' }] },
      400,
      'invalid_config',
      'entries[0].model',
    ),
    admin(
      'a bad kind',
      'POST',
      '/api/chains',
      { name: 'c', kind: 'audio', entries: [{ provider: 'p-ok', model: 'm' }] },
      400,
      'invalid_config',
      'kind',
    ),
    admin(
      'a bad capability',
      'PUT',
      '/api/chains/okchain',
      { entries: [{ provider: 'p-ok', model: 'm', capabilities: { tools: 'yes' } }] },
      400,
      'invalid_config',
      'entries[0].capabilities.tools',
    ),
    admin('an unknown chain', 'PUT', '/api/chains/nope', { entries: [] }, 404, 'chain_not_found', 'nope'),
    admin(
      'deleting the only chain in use by a setting',
      'DELETE',
      '/api/chains/nope',
      undefined,
      404,
      'chain_not_found',
      'nope',
    ),
    admin('a port too large', 'PATCH', '/api/settings', { port: 70_000 }, 400, 'invalid_config', 'port'),
    admin(
      'a timeout as text',
      'PATCH',
      '/api/settings',
      { requestTimeoutMs: '30s' },
      400,
      'invalid_config',
      'requestTimeoutMs',
    ),
    admin(
      'an unknown setting',
      'PATCH',
      '/api/settings',
      { requestTimeout: 5 },
      400,
      'invalid_config',
      'requestTimeout',
    ),
    admin(
      'an unknown default chain',
      'PATCH',
      '/api/settings',
      { defaultChain: 'nope' },
      400,
      'invalid_config',
      'defaultChain',
    ),
    admin(
      'a bad store',
      'PATCH',
      '/api/settings',
      { store: { type: 'etcd' } },
      400,
      'invalid_config',
      'store',
    ),
    admin(
      'a stream limit below 1 KiB',
      'PATCH',
      '/api/settings',
      { streamEventLimitBytes: 10 },
      400,
      'invalid_config',
      'streamEventLimitBytes',
    ),
    admin(
      'an unlisted-model limit of zero',
      'PATCH',
      '/api/settings',
      { unlistedModelLimit: 0 },
      400,
      'invalid_config',
      'unlistedModelLimit',
    ),
    admin(
      'allowedHosts not a list',
      'PATCH',
      '/api/settings',
      { allowedHosts: 'lan' },
      400,
      'invalid_config',
      'allowedHosts',
    ),
    admin(
      'maxConnections negative',
      'PATCH',
      '/api/settings',
      { maxConnections: -1 },
      400,
      'invalid_config',
      'maxConnections',
    ),
    admin('a reset body that is not JSON', 'POST', '/api/ratelimits/reset', '{', 400, 'invalid_json'),
    admin('a test without a prompt target', 'POST', '/api/test', { prompt: 'hi' }, 400, 'invalid_value'),
    admin(
      'a test with a CR LF model',
      'POST',
      '/api/test',
      { provider: 'p-ok', model: 'm\r\nx: 1', prompt: 'hi' },
      400,
      'invalid_value',
      'model',
    ),
    admin(
      'a test of an unlisted model',
      'POST',
      '/api/test',
      { provider: 'p-ok', model: 'distinct-1', prompt: 'hi' },
      400,
      'model_not_found',
      'model',
    ),
    admin('a bad limit', 'GET', '/api/requests?limit=abc', undefined, 400, 'invalid_value', 'limit'),
    admin('a limit too large', 'GET', '/api/requests?limit=100000', undefined, 400, 'invalid_value', 'limit'),
    admin('a bad cursor', 'GET', '/api/requests?cursor=%00%ff', undefined, 400, 'invalid_value', 'cursor'),
    admin('a bad from', 'GET', '/api/requests?from=yesterday', undefined, 400, 'invalid_value', 'from'),
    admin(
      'a bad status filter',
      'GET',
      '/api/requests?status=6xx',
      undefined,
      400,
      'invalid_value',
      'status',
    ),
    admin('a bad stats bucket', 'GET', '/api/stats?bucket=week', undefined, 400, 'invalid_value', 'bucket'),
    admin(
      'a bad stats groupBy',
      'GET',
      '/api/stats?groupBy=colour',
      undefined,
      400,
      'invalid_value',
      'groupBy',
    ),
    admin('an unknown request id', 'GET', '/api/requests/nope', undefined, 404, 'request_not_found', 'nope'),
    admin('a wrong method', 'DELETE', '/api/info', undefined, 405, 'method_not_allowed', 'GET'),
    admin('an unknown admin path', 'GET', '/api/nope', undefined, 404, 'unknown_url', '/api/nope'),
  ];
}

describe('the bad-input suite', () => {
  it(`has more than 100 inputs (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)('$name → $status', async (testCase) => {
    const headers: Record<string, string> = { ...testCase.headers };
    let body: string | undefined;
    if (testCase.body !== undefined) {
      body = typeof testCase.body === 'string' ? testCase.body : JSON.stringify(testCase.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await send(testCase.method ?? 'GET', testCase.path, headers, body);

    expect(response.status).toBe(testCase.status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const error = (JSON.parse(response.text) as ErrorBody).error;
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    expect(['code', 'message', 'param', 'type'].every((field) => field in error)).toBe(true);
    if (testCase.code) expect(error.code).toBe(testCase.code);
    if (testCase.field) {
      const named =
        error.param === testCase.field ||
        error.message.includes(testCase.field) ||
        (error.issues ?? []).some(
          (issue) => issue.path === testCase.field || issue.path.startsWith(`${testCase.field}.`),
        );
      expect({ named, error }).toMatchObject({ named: true });
    }
    // Nothing was sent upstream, and nothing echoed a control character into a header.
    expect(mock.requests).toHaveLength(0);
    expect(Object.keys(response.headers)).not.toContain('x-injected');
  });

  it('leaves the server up and its config as it was', async () => {
    expect((await server.call('/health')).status).toBe(200);
    const providers = await server.admin<{ data: Array<{ id: string }> }>('/api/providers');
    const chains = await server.admin<{ data: Array<{ name: string }> }>('/api/chains');
    expect(providers.body.data.map((provider) => provider.id)).toEqual(['p-ok']);
    expect(chains.body.data.map((chain) => chain.name)).toEqual(['okchain', 'vectors']);
    expect(mock.requests).toHaveLength(0);
  });
});

/** A raw request (fetch cannot send some of these), with the Host overridable through x-host-override. */
async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const { request } = await import('node:http');
  const url = new URL(server.url);
  const host = headers['x-host-override'] ?? url.host;
  delete headers['x-host-override'];
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, method, path, headers: { host, ...headers }, setHost: false },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const configFiles: Array<[string, string, string]> = [
  [
    'a provider id with CR LF',
    'providers:\n  - { id: "a\\r\\nb", type: ollama }\nchains: []\n',
    'providers[0].id',
  ],
  [
    'a chain name with U+2028',
    'providers: []\nchains:\n  - { name: "a\\u2028b", entries: [{ provider: x, model: m }] }\n',
    'chains[0].name',
  ],
  [
    'a settings value of the wrong type',
    'settings: { queueMaxSize: big }\nproviders: []\nchains: []\n',
    'settings.queueMaxSize',
  ],
  ['an unknown top-level key', 'providers: []\nchains: []\nchain: []\n', 'chain'],
  ['providers not a list', 'providers: {}\nchains: []\n', 'providers'],
  ['a YAML syntax error', 'providers:\n  - id: a\n   type: b\nchains: []\n', 'line 3'],
  ['a tab-indented file', 'providers:\n\t- id: a\nchains: []\n', 'line 2'],
  ['a duplicate key', 'providers: []\nproviders: []\nchains: []\n', 'line 2'],
];

describe('bad config files', () => {
  it.each(configFiles)('%s: a 400 invalid_config naming %s', (_name, text, field) => {
    let caught: unknown;
    try {
      ConfigFile.fromText(text, { env: {} });
    } catch (error) {
      caught = error;
    }
    const { status, body } = toOpenAIError(caught);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'invalid_config', type: 'invalid_request_error' });
    const issues = (body.error.issues ?? []) as Array<{ path: string }>;
    expect(issues.some((issue) => issue.path === field || issue.path.startsWith(field))).toBe(true);
  });
});
