import { attemptRecordSchema, requestRecordSchema } from '@429chain/core';
import { z } from 'zod';
import { serverSettingsSchema } from '../config/server-config-schema.ts';
import { adminEndpoints } from './admin-endpoints.ts';
import { chainInputSchema, chainListSchema, chainUpdateSchema, chainViewSchema } from './chain-schemas.ts';
import type { Endpoint } from './endpoint.ts';
import { errorBodySchema } from './error-schema.ts';
import {
  presetListSchema,
  presetViewSchema,
  providerInputSchema,
  providerKeyViewSchema,
  providerListSchema,
  providerPatchSchema,
  providerViewSchema,
} from './provider-schemas.ts';
import { chainStatusSchema, resetAnswerSchema, resetInputSchema } from './rate-limit-schemas.ts';
import { requestPageSchema, requestSummarySchema } from './request-log-schemas.ts';
import { serverInfoSchema } from './server-info-schema.ts';
import { settingsAnswerSchema, settingsPatchAnswerSchema, settingsPatchSchema } from './settings-schemas.ts';
import { testAnswerSchema, testInputSchema } from './test-schemas.ts';
import { usageCountsSchema, usageStatsSchema } from './usage-stats-schemas.ts';

type JsonSchema = Record<string, unknown>;

const componentPath = '#/components/schemas/';

/** The request bodies that are named components, as clients write them. */
const requestComponents: ReadonlyArray<[string, z.ZodType]> = [
  ['ProviderInput', providerInputSchema],
  ['ProviderPatch', providerPatchSchema],
  ['ChainInput', chainInputSchema],
  ['ChainUpdate', chainUpdateSchema],
  ['SettingsPatch', settingsPatchSchema],
  ['ResetInput', resetInputSchema],
  ['TestInput', testInputSchema],
];

/** The answers that are named components, as the server sends them. */
const responseComponents: ReadonlyArray<[string, z.ZodType]> = [
  ['Error', errorBodySchema],
  ['ServerInfo', serverInfoSchema],
  ['PresetList', presetListSchema],
  ['Preset', presetViewSchema],
  ['ProviderList', providerListSchema],
  ['Provider', providerViewSchema],
  ['ProviderKey', providerKeyViewSchema],
  ['ChainList', chainListSchema],
  ['Chain', chainViewSchema],
  ['SettingsAnswer', settingsAnswerSchema],
  ['SettingsPatchAnswer', settingsPatchAnswerSchema],
  ['Settings', serverSettingsSchema],
  ['ChainStatus', chainStatusSchema],
  ['ResetAnswer', resetAnswerSchema],
  ['RequestPage', requestPageSchema],
  ['RequestSummary', requestSummarySchema],
  ['RequestRecord', requestRecordSchema],
  ['AttemptRecord', attemptRecordSchema],
  ['UsageStats', usageStatsSchema],
  ['UsageCounts', usageCountsSchema],
  ['TestAnswer', testAnswerSchema],
];

/** JSON Schemas of a set of named schemas, referring to each other as components. */
function componentsOf(
  named: ReadonlyArray<[string, z.ZodType]>,
  io: 'input' | 'output',
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    uri: (id) => `${componentPath}${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

/** A reference to the component a schema is, else the schema written out. */
function schemaRef(
  schema: z.ZodType,
  named: ReadonlyArray<[string, z.ZodType]>,
  io: 'input' | 'output',
): JsonSchema {
  const found = named.find(([, candidate]) => candidate === schema);
  if (found) return { $ref: `${componentPath}${found[0]}` };
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const errorResponse = (description: string) => ({ description, ...json({ $ref: `${componentPath}Error` }) });
const commonErrors: Readonly<Record<number, string>> = {
  400: 'Invalid input; the error names the field.',
  401: 'Missing or invalid admin key.',
  403: 'A client key was used on the admin API.',
};

/** The OpenAPI path of an endpoint (`/api/providers/{id}`). */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function operationOf(operationId: string, endpoint: Endpoint): JsonSchema {
  const parameters: JsonSchema[] = Object.entries(endpoint.params ?? {}).map(([name, description]) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  }));
  if (endpoint.query) {
    const query = z.toJSONSchema(endpoint.query, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: 'query',
        required: query.required?.includes(name) ?? false,
        ...(description === undefined ? {} : { description }),
        schema: rest,
      });
    }
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(endpoint.responses)) {
    const content: Record<string, JsonSchema> = {};
    if (response.schema)
      content['application/json'] = { schema: schemaRef(response.schema, responseComponents, 'output') };
    if (response.eventStream) content['text/event-stream'] = {};
    responses[status] = {
      description: response.description,
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  for (const [status, description] of Object.entries({ ...commonErrors, ...endpoint.errors })) {
    responses[status] = errorResponse(description);
  }
  const operation: JsonSchema = { operationId, summary: endpoint.summary };
  if (parameters.length > 0) operation.parameters = parameters;
  if (endpoint.body) {
    const schema = schemaRef(endpoint.body.schema, requestComponents, 'input');
    operation.requestBody = {
      required: endpoint.body.required !== false,
      content: {
        'application/json': {
          schema,
          ...(endpoint.body.example === undefined ? {} : { example: endpoint.body.example }),
        },
      },
    };
  }
  operation.responses = responses;
  return operation;
}

let cached: { version: string; document: JsonSchema } | undefined;

/** The OpenAPI 3.1 document of the admin API, generated from {@link adminEndpoints}; served at `/api/openapi.json`. */
export function openApiDocument(version: string): JsonSchema {
  if (cached?.version === version) return cached.document;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [operationId, endpoint] of Object.entries(adminEndpoints) as Array<[string, Endpoint]>) {
    const path = openApiPath(endpoint.path);
    paths[path] ??= {};
    paths[path][endpoint.method.toLowerCase()] = operationOf(operationId, endpoint);
  }
  const document: JsonSchema = {
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
      schemas: { ...componentsOf(requestComponents, 'input'), ...componentsOf(responseComponents, 'output') },
    },
    paths,
  };
  cached = { version, document };
  return document;
}
