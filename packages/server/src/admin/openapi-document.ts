import { configSchema } from '@429chain/core';
import { z } from 'zod';

type Schema = Record<string, unknown>;

const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const errorResponses = {
  '400': { description: 'Invalid input; the error names the field.', ...json(ref('Error')) },
  '401': { description: 'Missing or invalid admin key.', ...json(ref('Error')) },
  '403': { description: 'A client key was used on the admin API.', ...json(ref('Error')) },
};
const query = (name: string, description: string, schema: Schema = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

function toSchema(type: z.ZodType): Schema {
  return z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' }) as Schema;
}

/** The OpenAPI 3.1 document of the admin API, served at `/api/openapi.json`. */
export function openApiDocument(version: string): Schema {
  const shape = configSchema.shape;
  return {
    openapi: '3.1.0',
    info: {
      title: '429chain admin API',
      version,
      description:
        'Manage providers, chains and settings live; read rate limits, usage and the request log; watch events. Every error is OpenAI-shaped: `{ error: { message, type, code, param } }`. Provider keys are always masked.',
    },
    servers: [{ url: '/' }],
    security: [{ adminKey: [] }],
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'An admin key (not a client key).' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['message', 'type', 'code', 'param'],
              properties: {
                message: { type: 'string' },
                type: { type: 'string' },
                code: { type: ['string', 'null'] },
                param: { type: ['string', 'null'] },
                issues: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { path: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
        ProviderInput: toSchema(shape.providers.element),
        ChainInput: toSchema(shape.chains.element),
        SettingsInput: toSchema(shape.settings.unwrap()),
        Provider: {
          type: 'object',
          description:
            'A provider as the API shows it; keys are masked (`…a1b2`) or shown as environment references such as `$GROQ_API_KEY` in braces.',
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            type: { type: 'string' },
            baseUrl: { type: ['string', 'null'] },
            keys: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  index: { type: 'integer' },
                  masked: { type: 'string' },
                  fromEnvironment: { type: 'boolean' },
                },
              },
            },
            rateLimits: { type: ['object', 'null'] },
            usedBy: { type: 'array', items: { type: 'string' } },
          },
        },
        TestInput: {
          type: 'object',
          required: ['prompt'],
          properties: {
            chain: { type: 'string' },
            provider: { type: 'string' },
            model: { type: 'string' },
            prompt: { type: 'string' },
            stream: { type: 'boolean' },
            maxTokens: { type: 'integer' },
          },
        },
      },
    },
    paths: {
      '/api/info': {
        get: {
          summary: 'Version, mode and where the config lives.',
          responses: { '200': { description: 'Info.' }, ...errorResponses },
        },
      },
      '/api/presets': {
        get: {
          summary: 'Provider presets: base URLs, env keys, suggested models, known limits.',
          responses: { '200': { description: 'Presets.' }, ...errorResponses },
        },
      },
      '/api/providers': {
        get: {
          summary: 'List providers (keys masked).',
          responses: { '200': { description: 'Providers.' }, ...errorResponses },
        },
        post: {
          summary: 'Add a provider; applied live and written to the config file.',
          requestBody: { required: true, ...json(ref('ProviderInput')) },
          responses: {
            '201': { description: 'Created.', ...json(ref('Provider')) },
            '409': { description: 'Id taken.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
      },
      '/api/providers/{id}': {
        parameters: [pathParameter('id', 'Provider id.')],
        get: {
          summary: 'One provider.',
          responses: {
            '200': { description: 'Provider.', ...json(ref('Provider')) },
            '404': { description: 'Unknown.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
        patch: {
          summary: 'Change a provider. Keys are replaced only when given; `null` removes a field.',
          requestBody: { required: true, ...json(ref('ProviderInput')) },
          responses: {
            '200': { description: 'Updated.', ...json(ref('Provider')) },
            '404': { description: 'Unknown.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
        delete: {
          summary: 'Remove a provider no chain uses.',
          responses: {
            '204': { description: 'Removed.' },
            '409': { description: 'In use.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
      },
      '/api/chains': {
        get: {
          summary: 'List chains and the default chain.',
          responses: { '200': { description: 'Chains.' }, ...errorResponses },
        },
        post: {
          summary: 'Add a chain.',
          requestBody: { required: true, ...json(ref('ChainInput')) },
          responses: {
            '201': { description: 'Created.' },
            '409': { description: 'Name taken.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
      },
      '/api/chains/{name}': {
        parameters: [pathParameter('name', 'Chain name.')],
        get: {
          summary: 'One chain.',
          responses: {
            '200': { description: 'Chain.' },
            '404': { description: 'Unknown.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
        put: {
          summary: 'Rename a chain or replace its entries (order matters).',
          requestBody: { required: true, ...json(ref('ChainInput')) },
          responses: { '200': { description: 'Updated.' }, ...errorResponses },
        },
        delete: {
          summary: 'Remove a chain (not the default one).',
          responses: {
            '204': { description: 'Removed.' },
            '409': { description: 'It is the default.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
      },
      '/api/settings': {
        get: {
          summary: 'Settings (client and admin keys masked).',
          responses: { '200': { description: 'Settings.' }, ...errorResponses },
        },
        patch: {
          summary: 'Change settings; `null` restores a default.',
          requestBody: { required: true, ...json(ref('SettingsInput')) },
          responses: { '200': { description: 'Updated.' }, ...errorResponses },
        },
      },
      '/api/ratelimits': {
        get: {
          summary: 'The live rate-limit board: every entry, bucket and block.',
          responses: { '200': { description: 'Status.' }, ...errorResponses },
        },
      },
      '/api/ratelimits/reset': {
        post: {
          summary: 'Forget rate-limit state: all, one provider, or one scope.',
          requestBody: {
            required: false,
            ...json({
              type: 'object',
              properties: { provider: { type: 'string' }, scope: { type: 'string' } },
            }),
          },
          responses: { '200': { description: 'Reset.' }, ...errorResponses },
        },
      },
      '/api/requests': {
        get: {
          summary: 'The request log, newest first, with cursor pagination.',
          parameters: [
            query('chain', 'Chain name.'),
            query('provider', 'Provider that answered.'),
            query('model', 'Model that answered.'),
            query('client', 'Client key label.'),
            query('outcome', 'answered | failed | interrupted | cancelled.'),
            query('status', 'An HTTP status (429) or a class (4xx).'),
            query('from', 'Started at or after (epoch ms or ISO date).'),
            query('to', 'Started before (epoch ms or ISO date).'),
            query('limit', 'Page size, 1–500.', { type: 'integer', default: 50 }),
            query('cursor', 'nextCursor of the previous page.'),
          ],
          responses: { '200': { description: 'A page.' }, ...errorResponses },
        },
      },
      '/api/requests/{id}': {
        parameters: [pathParameter('id', 'Request id (x-429chain-request-id).')],
        get: {
          summary: 'One request with its whole attempt trail.',
          responses: {
            '200': { description: 'Record.' },
            '404': { description: 'Unknown.', ...json(ref('Error')) },
            ...errorResponses,
          },
        },
      },
      '/api/stats': {
        get: {
          summary: 'Usage per provider, model, chain or client over a time range, in time buckets.',
          parameters: [
            query('from', 'Range start (epoch ms or ISO date).'),
            query('to', 'Range end (epoch ms or ISO date).'),
            query('bucket', 'minute | hour | day.'),
            query('groupBy', 'provider | model | chain | client.'),
          ],
          responses: {
            '200': { description: 'Series, totals per group, and every group together.' },
            ...errorResponses,
          },
        },
      },
      '/api/events': {
        get: {
          summary:
            'Live Server-Sent Events: hello, status, request-start, attempt-end, request-end, queue-join, queue-leave, config-change.',
          responses: {
            '200': { description: 'An event stream.', content: { 'text/event-stream': {} } },
            ...errorResponses,
          },
        },
      },
      '/api/test': {
        post: {
          summary:
            'Run a prompt through a chain or one entry; returns the answer and its trail (or streams it).',
          requestBody: { required: true, ...json(ref('TestInput')) },
          responses: {
            '200': { description: 'Answer and record, or an event stream ending with `event: record`.' },
            ...errorResponses,
          },
        },
      },
      '/api/openapi.json': {
        get: { summary: 'This document.', responses: { '200': { description: 'OpenAPI 3.1.' } } },
      },
    },
  };
}
