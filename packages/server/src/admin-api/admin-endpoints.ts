import { requestRecordSchema } from '@429chain/core';
import { z } from 'zod';
import { requestLogQuerySchema } from '../persistence/request-log-queries.ts';
import { usageQuerySchema } from '../persistence/usage-stats.ts';
import { chainInputSchema, chainListSchema, chainUpdateSchema, chainViewSchema } from './chain-schemas.ts';
import { defineEndpoint } from './endpoint.ts';
import {
  presetListSchema,
  providerInputSchema,
  providerListSchema,
  providerPatchSchema,
  providerViewSchema,
} from './provider-schemas.ts';
import { chainStatusSchema, resetAnswerSchema, resetInputSchema } from './rate-limit-schemas.ts';
import { requestPageSchema } from './request-log-schemas.ts';
import { serverInfoSchema } from './server-info-schema.ts';
import { settingsAnswerSchema, settingsPatchAnswerSchema, settingsPatchSchema } from './settings-schemas.ts';
import { testAnswerSchema, testInputSchema } from './test-schemas.ts';
import { usageStatsSchema } from './usage-stats-schemas.ts';

/** The OpenAPI document itself. */
export const openApiDocumentSchema = z.record(z.string(), z.unknown());

/** The events of `GET /api/events`, in the order a client first sees them. */
export const adminEventNames = [
  'hello',
  'status',
  'request-start',
  'attempt-end',
  'request-end',
  'queue-join',
  'queue-leave',
  'config-change',
] as const;

const providerId = { id: 'Provider id.' } as const;
const chainName = { name: 'Chain name.' } as const;

/**
 * Every endpoint of the admin API, once: the handlers are mounted from this table and
 * validate with its schemas, the TypeScript types of `@429chain/server/admin-api` are derived
 * from it, and `/api/openapi.json` is generated from it.
 */
export const adminEndpoints = {
  info: defineEndpoint({
    method: 'GET',
    path: '/api/info',
    summary: 'Version, mode and where the config lives.',
    responses: { 200: { description: 'Info.', schema: serverInfoSchema } },
  }),
  openApi: defineEndpoint({
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document.',
    responses: { 200: { description: 'OpenAPI 3.1.', schema: openApiDocumentSchema } },
  }),
  listPresets: defineEndpoint({
    method: 'GET',
    path: '/api/presets',
    summary: 'Provider presets: base URLs, env keys, suggested models, known limits.',
    responses: { 200: { description: 'Presets.', schema: presetListSchema } },
  }),
  listProviders: defineEndpoint({
    method: 'GET',
    path: '/api/providers',
    summary: 'List providers (keys masked).',
    responses: { 200: { description: 'Providers.', schema: providerListSchema } },
  }),
  createProvider: defineEndpoint({
    method: 'POST',
    path: '/api/providers',
    summary: 'Add a provider; applied live and written to the config file.',
    body: { schema: providerInputSchema, validatedBy: 'config-file' },
    responses: { 201: { description: 'Created.', schema: providerViewSchema } },
    errors: { 409: 'Id taken.' },
  }),
  getProvider: defineEndpoint({
    method: 'GET',
    path: '/api/providers/:id',
    summary: 'One provider.',
    params: providerId,
    responses: { 200: { description: 'Provider.', schema: providerViewSchema } },
    errors: { 404: 'Unknown.' },
  }),
  updateProvider: defineEndpoint({
    method: 'PATCH',
    path: '/api/providers/:id',
    summary: 'Change a provider. Keys are replaced only when given; `null` removes a field.',
    params: providerId,
    body: { schema: providerPatchSchema, validatedBy: 'config-file' },
    responses: { 200: { description: 'Updated.', schema: providerViewSchema } },
    errors: { 404: 'Unknown.', 409: 'The new id is taken.' },
  }),
  deleteProvider: defineEndpoint({
    method: 'DELETE',
    path: '/api/providers/:id',
    summary: 'Remove a provider no chain uses.',
    params: providerId,
    responses: { 204: { description: 'Removed.' } },
    errors: { 404: 'Unknown.', 409: 'In use.' },
  }),
  listChains: defineEndpoint({
    method: 'GET',
    path: '/api/chains',
    summary: 'List chains and the default chain.',
    responses: { 200: { description: 'Chains.', schema: chainListSchema } },
  }),
  createChain: defineEndpoint({
    method: 'POST',
    path: '/api/chains',
    summary: 'Add a chain.',
    body: { schema: chainInputSchema, validatedBy: 'config-file' },
    responses: { 201: { description: 'Created.', schema: chainViewSchema } },
    errors: { 409: 'Name taken.' },
  }),
  getChain: defineEndpoint({
    method: 'GET',
    path: '/api/chains/:name',
    summary: 'One chain.',
    params: chainName,
    responses: { 200: { description: 'Chain.', schema: chainViewSchema } },
    errors: { 404: 'Unknown.' },
  }),
  updateChain: defineEndpoint({
    method: 'PUT',
    path: '/api/chains/:name',
    summary: 'Rename a chain or replace its entries (order matters).',
    params: chainName,
    body: { schema: chainUpdateSchema, validatedBy: 'config-file' },
    responses: { 200: { description: 'Updated.', schema: chainViewSchema } },
    errors: { 404: 'Unknown.', 409: 'The new name is taken.' },
  }),
  deleteChain: defineEndpoint({
    method: 'DELETE',
    path: '/api/chains/:name',
    summary: 'Remove a chain (not the default one).',
    params: chainName,
    responses: { 204: { description: 'Removed.' } },
    errors: { 404: 'Unknown.', 409: 'It is the default.' },
  }),
  getSettings: defineEndpoint({
    method: 'GET',
    path: '/api/settings',
    summary: 'Settings (client and admin keys masked).',
    responses: { 200: { description: 'Settings.', schema: settingsAnswerSchema } },
  }),
  updateSettings: defineEndpoint({
    method: 'PATCH',
    path: '/api/settings',
    summary: 'Change settings; `null` restores a default.',
    body: { schema: settingsPatchSchema, validatedBy: 'config-file' },
    responses: { 200: { description: 'Updated.', schema: settingsPatchAnswerSchema } },
  }),
  getRateLimits: defineEndpoint({
    method: 'GET',
    path: '/api/ratelimits',
    summary: 'The live rate-limit board: every entry, bucket and block.',
    responses: { 200: { description: 'Status.', schema: chainStatusSchema } },
  }),
  resetRateLimits: defineEndpoint({
    method: 'POST',
    path: '/api/ratelimits/reset',
    summary: 'Forget rate-limit state: all, one provider, or one scope.',
    body: { schema: resetInputSchema, validatedBy: 'schema', required: false, example: { provider: 'groq' } },
    responses: { 200: { description: 'Reset.', schema: resetAnswerSchema } },
    errors: { 404: 'Unknown provider.' },
  }),
  listRequests: defineEndpoint({
    method: 'GET',
    path: '/api/requests',
    summary: 'The request log, newest first, with cursor pagination.',
    query: requestLogQuerySchema,
    responses: { 200: { description: 'A page.', schema: requestPageSchema } },
  }),
  getRequest: defineEndpoint({
    method: 'GET',
    path: '/api/requests/:id',
    summary: 'One request with its whole attempt trail.',
    params: { id: 'Request id (x-429chain-request-id).' },
    responses: { 200: { description: 'Record.', schema: requestRecordSchema } },
    errors: { 404: 'Unknown.' },
  }),
  getStats: defineEndpoint({
    method: 'GET',
    path: '/api/stats',
    summary: 'Usage per provider, model, chain or client over a time range, in time buckets.',
    query: usageQuerySchema,
    responses: {
      200: { description: 'Series, totals per group, and every group together.', schema: usageStatsSchema },
    },
  }),
  events: defineEndpoint({
    method: 'GET',
    path: '/api/events',
    summary: `Live Server-Sent Events: ${adminEventNames.join(', ')}.`,
    responses: { 200: { description: 'An event stream.', eventStream: true } },
  }),
  runTest: defineEndpoint({
    method: 'POST',
    path: '/api/test',
    summary: 'Run a prompt through a chain or one entry; returns the answer and its trail (or streams it).',
    body: {
      schema: testInputSchema,
      validatedBy: 'schema',
      example: { chain: 'default', prompt: 'Say hello.' },
    },
    responses: {
      200: {
        description: 'Answer and record, or with `stream: true` an event stream ending with `event: record`.',
        schema: testAnswerSchema,
        eventStream: true,
      },
    },
    errors: { 404: 'Unknown provider.' },
  }),
};
