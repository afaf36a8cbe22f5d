import { completionReply, errorReply } from '@429chain/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  closeTestResources,
  type ErrorBody,
  mockProviderConfig,
  type ReadResponse,
  startTwoEntryServer,
  type TestServer,
  type TwoEntryServer,
} from '../testing/start-test-server.ts';

/**
 * The OpenAPI document and the handlers come from the same endpoint table; these tests hold
 * them to each other through the running server: every answer it gives has the shape the
 * served document states for that route and status, and every body the document refuses
 * (a wrong type, a missing required field, an unknown field) the handler refuses too,
 * naming the field.
 */

afterEach(closeTestResources);

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  $ref?: string;
  [keyword: string]: unknown;
};

interface Operation {
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** A documented schema as a validator, its component references resolved. */
function validatorOf(document: OpenApi, schema: JsonSchema): z.ZodType {
  const text = JSON.stringify({ ...schema, $defs: document.components.schemas });
  return z.fromJSONSchema(JSON.parse(text.replaceAll('#/components/schemas/', '#/$defs/')));
}

/** A documented schema with its top-level reference followed. */
function resolve(document: OpenApi, schema: JsonSchema): JsonSchema {
  return schema.$ref ? document.components.schemas[schema.$ref.split('/').at(-1)!]! : schema;
}

function operationOf(document: OpenApi, template: string, method: string): Operation {
  const operation = document.paths[template]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${template} is not in the document`);
  return operation;
}

async function documentOf(server: TestServer): Promise<OpenApi> {
  return (await server.admin<OpenApi>('/api/openapi.json')).body;
}

/** The two-entry server with one request that fell over from alpha (429) to beta. */
async function startServerWithHistory(): Promise<TwoEntryServer & { requestId: string }> {
  const started = await startTwoEntryServer();
  started.alpha.script('alpha-small', [
    errorReply(429, { error: { message: 'Rate limit exceeded' } }, { 'retry-after': '120' }),
  ]);
  started.beta.script('beta-large', [completionReply({ model: 'beta-large', text: 'From beta.' })]);
  const chat = await started.server.call('/v1/chat/completions', {
    method: 'POST',
    json: started.server.chat('main'),
  });
  expect(chat.status).toBe(200);
  return { ...started, requestId: chat.headers.get('x-429chain-request-id')! };
}

describe('the OpenAPI document against the handlers', () => {
  it('describes every answer the server gives, success and error, route by route', async () => {
    const { server, requestId } = await startServerWithHistory();
    const document = await documentOf(server);
    const gamma = mockProviderConfig('gamma', { url: 'http://127.0.0.1:9/v1' } as never);
    const calls: Array<{ method: string; path: string; template: string; json?: unknown; status: number }> = [
      { method: 'GET', path: '/api/info', template: '/api/info', status: 200 },
      { method: 'GET', path: '/api/openapi.json', template: '/api/openapi.json', status: 200 },
      { method: 'GET', path: '/api/presets', template: '/api/presets', status: 200 },
      { method: 'GET', path: '/api/providers', template: '/api/providers', status: 200 },
      { method: 'GET', path: '/api/providers/alpha', template: '/api/providers/{id}', status: 200 },
      { method: 'GET', path: '/api/providers/nobody', template: '/api/providers/{id}', status: 404 },
      { method: 'POST', path: '/api/providers', template: '/api/providers', json: gamma, status: 201 },
      { method: 'POST', path: '/api/providers', template: '/api/providers', json: gamma, status: 409 },
      { method: 'POST', path: '/api/providers', template: '/api/providers', json: { id: 'x' }, status: 400 },
      {
        method: 'PATCH',
        path: '/api/providers/gamma',
        template: '/api/providers/{id}',
        json: { name: 'Gamma', timeout: 5000 },
        status: 200,
      },
      { method: 'DELETE', path: '/api/providers/gamma', template: '/api/providers/{id}', status: 204 },
      { method: 'DELETE', path: '/api/providers/alpha', template: '/api/providers/{id}', status: 409 },
      { method: 'GET', path: '/api/chains', template: '/api/chains', status: 200 },
      { method: 'GET', path: '/api/chains/main', template: '/api/chains/{name}', status: 200 },
      {
        method: 'POST',
        path: '/api/chains',
        template: '/api/chains',
        json: { name: 'extra', entries: [{ provider: 'beta', model: 'beta-large' }] },
        status: 201,
      },
      {
        method: 'PUT',
        path: '/api/chains/extra',
        template: '/api/chains/{name}',
        json: { name: 'spare', entries: [{ provider: 'alpha', model: 'alpha-small' }] },
        status: 200,
      },
      { method: 'DELETE', path: '/api/chains/spare', template: '/api/chains/{name}', status: 204 },
      { method: 'DELETE', path: '/api/chains/main', template: '/api/chains/{name}', status: 409 },
      { method: 'GET', path: '/api/settings', template: '/api/settings', status: 200 },
      {
        method: 'PATCH',
        path: '/api/settings',
        template: '/api/settings',
        json: { requestTimeoutMs: 20000 },
        status: 200,
      },
      { method: 'GET', path: '/api/ratelimits', template: '/api/ratelimits', status: 200 },
      {
        method: 'POST',
        path: '/api/ratelimits/reset',
        template: '/api/ratelimits/reset',
        json: { provider: 'nobody' },
        status: 404,
      },
      { method: 'GET', path: '/api/requests', template: '/api/requests', status: 200 },
      { method: 'GET', path: '/api/requests?limit=0', template: '/api/requests', status: 400 },
      { method: 'GET', path: `/api/requests/${requestId}`, template: '/api/requests/{id}', status: 200 },
      { method: 'GET', path: '/api/requests/nobody', template: '/api/requests/{id}', status: 404 },
      { method: 'GET', path: '/api/stats?groupBy=chain', template: '/api/stats', status: 200 },
      {
        method: 'POST',
        path: '/api/test',
        template: '/api/test',
        json: { chain: 'main', prompt: 'hi' },
        status: 200,
      },
      {
        method: 'POST',
        path: '/api/test',
        template: '/api/test',
        json: { provider: 'nobody', model: 'm', prompt: 'hi' },
        status: 404,
      },
      {
        method: 'POST',
        path: '/api/ratelimits/reset',
        template: '/api/ratelimits/reset',
        json: {},
        status: 200,
      },
    ];

    const exercised = new Set<string>();
    for (const call of calls) {
      const response: ReadResponse = await server.admin(call.path, { method: call.method, json: call.json });
      const where = `${call.method} ${call.path} → ${response.status}`;
      expect(response.status, `${where}: ${response.text.slice(0, 300)}`).toBe(call.status);
      const documented = operationOf(document, call.template, call.method).responses[String(call.status)];
      expect(documented, `${where} is not documented`).toBeDefined();
      const schema = documented!.content?.['application/json']?.schema;
      if (call.status === 204) {
        expect(documented!.content, where).toBeUndefined();
        expect(response.text, where).toBe('');
        continue;
      }
      expect(schema, `${where} has no documented JSON body`).toBeDefined();
      const result = validatorOf(document, schema!).safeParse(response.body);
      expect(result.success, `${where}: ${JSON.stringify(result.error?.issues.slice(0, 3))}`).toBe(true);
      if (call.status < 300) exercised.add(`${call.method} ${call.template}`);
    }

    const unauthenticated = await server.call('/api/info');
    const refusal = operationOf(document, '/api/info', 'GET').responses['401']!.content!['application/json']!;
    expect(unauthenticated.status).toBe(401);
    expect(validatorOf(document, refusal.schema!).safeParse(unauthenticated.body).success).toBe(true);

    // Every JSON operation of the document was held to a real answer.
    const jsonOperations = Object.entries(document.paths).flatMap(([template, operations]) =>
      methods
        .filter((method) => operations[method])
        .filter((method) =>
          Object.entries(operations[method]!.responses).some(
            ([status, response]) => Number(status) < 300 && response.content?.['application/json'],
          ),
        )
        .map((method) => `${method.toUpperCase()} ${template}`),
    );
    expect([...exercised].sort()).toEqual(jsonOperations.sort());
  });

  it('documents the event streams the server sends', async () => {
    const { server } = await startTwoEntryServer();
    const document = await documentOf(server);
    const abort = new AbortController();

    const events = await server.fetch('/api/events', {
      headers: { authorization: `Bearer ${server.adminKey}` },
      signal: abort.signal,
    });
    const streamed = await server.fetch('/api/test', {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}` },
      json: { chain: 'main', prompt: 'hi', stream: true },
    });
    const streamedText = await streamed.text();
    abort.abort();

    for (const [template, response] of [
      ['/api/events', events],
      ['/api/test', streamed],
    ] as const) {
      const method = template === '/api/events' ? 'GET' : 'POST';
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(operationOf(document, template, method).responses['200']!.content).toHaveProperty(
        'text/event-stream',
      );
    }
    const record = /event: record\ndata: (.*)\n/.exec(streamedText)?.[1];
    const recordSchema = validatorOf(document, { $ref: '#/components/schemas/RequestRecord' });
    expect(recordSchema.safeParse(JSON.parse(record!)).success).toBe(true);
  });

  it('refuses every request body the document refuses, naming the field', async () => {
    const { server, alpha } = await startServerWithHistory();
    const document = await documentOf(server);
    const bases: Array<{ method: string; path: string; template: string; body: Record<string, unknown> }> = [
      {
        method: 'POST',
        path: '/api/providers',
        template: '/api/providers',
        body: mockProviderConfig('gamma', alpha),
      },
      { method: 'PATCH', path: '/api/providers/alpha', template: '/api/providers/{id}', body: {} },
      {
        method: 'POST',
        path: '/api/chains',
        template: '/api/chains',
        body: { name: 'extra', entries: [{ provider: 'beta', model: 'beta-large' }] },
      },
      { method: 'PUT', path: '/api/chains/main', template: '/api/chains/{name}', body: {} },
      { method: 'PATCH', path: '/api/settings', template: '/api/settings', body: {} },
      { method: 'POST', path: '/api/ratelimits/reset', template: '/api/ratelimits/reset', body: {} },
      { method: 'POST', path: '/api/test', template: '/api/test', body: { chain: 'main', prompt: 'hi' } },
    ];
    // Every documented request body is covered.
    const withBodies = Object.entries(document.paths).flatMap(([template, operations]) =>
      methods.filter((method) => operations[method]?.requestBody).map((method) => `${method} ${template}`),
    );
    expect(bases.map((base) => `${base.method.toLowerCase()} ${base.template}`).sort()).toEqual(
      withBodies.sort(),
    );

    let refused = 0;
    const wrongValue: Record<string, unknown> = {
      string: 12345,
      integer: 'twelve',
      number: 'twelve',
      boolean: 'yes',
    };
    for (const base of bases) {
      const schema = resolve(
        document,
        operationOf(document, base.template, base.method).requestBody!.content['application/json'].schema,
      );
      const validator = validatorOf(document, schema);
      expect(validator.safeParse(base.body).success, `${base.method} ${base.path}: the base body`).toBe(true);
      const refusals: Array<{ field: string; body: Record<string, unknown> }> = [
        { field: 'notAField', body: { ...base.body, notAField: 1 } },
      ];
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        // `null` (a PATCH's "remove it") aside, the one type the field takes.
        const types = [property, ...((property.anyOf as JsonSchema[] | undefined) ?? [])]
          .flatMap((option) => (Array.isArray(option.type) ? option.type : [option.type]))
          .filter((type) => type !== undefined && type !== 'null');
        if (types.length === 1 && typeof types[0] === 'string' && types[0] in wrongValue) {
          refusals.push({ field, body: { ...base.body, [field]: wrongValue[types[0]] } });
        }
      }
      for (const field of schema.required ?? []) {
        const { [field]: _left, ...rest } = base.body;
        refusals.push({ field, body: rest });
      }
      refused += refusals.length;
      for (const refusal of refusals) {
        const where = `${base.method} ${base.path} with ${JSON.stringify(refusal.body)}`;
        expect(validator.safeParse(refusal.body).success, `the document accepts ${where}`).toBe(false);
        const response = await server.admin<ErrorBody>(base.path, {
          method: base.method,
          json: refusal.body,
        });
        expect(response.status, `${where}: ${response.text.slice(0, 300)}`).toBe(400);
        const named = [
          response.body.error.param,
          ...(response.body.error.issues ?? []).map((issue) => issue.path),
        ];
        const message = response.body.error.message;
        expect(
          named.some((path) => path === refusal.field || path?.startsWith(`${refusal.field}.`)) ||
            message.includes(`"${refusal.field}"`),
          `${where} does not name ${refusal.field}: ${response.text}`,
        ).toBe(true);
      }
    }
    // A wrong type for each primitive field, each required field left out, an unknown field: many refusals.
    expect(refused).toBeGreaterThan(60);
  });
});

describe('GET /api/openapi.json', () => {
  const adminRoutes = [
    '/api/info',
    '/api/presets',
    '/api/providers',
    '/api/providers/{id}',
    '/api/chains',
    '/api/chains/{name}',
    '/api/settings',
    '/api/ratelimits',
    '/api/ratelimits/reset',
    '/api/requests',
    '/api/requests/{id}',
    '/api/stats',
    '/api/events',
    '/api/test',
    '/api/openapi.json',
  ];

  it('is an OpenAPI 3.1 document listing every admin route', async () => {
    const { server } = await startTwoEntryServer();

    const response = await server.admin<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    }>('/api/openapi.json');

    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(response.body.info.title).toContain('429chain');
    expect(response.body.components.securitySchemes.adminKey).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(Object.keys(response.body.paths).sort()).toEqual([...adminRoutes].sort());
  });

  it('documents exactly the methods each route serves', async () => {
    const { server } = await startTwoEntryServer();
    const document = await server.admin<{ paths: Record<string, Record<string, unknown>> }>(
      '/api/openapi.json',
    );
    const methods = ['get', 'post', 'put', 'patch', 'delete'];

    for (const [path, operations] of Object.entries(document.body.paths)) {
      const documented = Object.keys(operations)
        .filter((key) => methods.includes(key))
        .map((method) => method.toUpperCase())
        .sort();
      // Every route answers a method it does not serve with 405 and the methods it does.
      const concrete = path.replace('{id}', 'some-id').replace('{name}', 'some-name');
      const refused = await server.admin(concrete, { method: 'OPTIONS' });
      expect(refused.status, path).toBe(405);
      const allowed = refused.headers.get('allow')!.split(', ').sort();
      expect(allowed, path).toEqual(documented);
    }
  });
});
