import type { Hono } from 'hono';
import { adminEndpoints } from '../admin-api/admin-endpoints.ts';
import { openApiDocument } from '../admin-api/openapi-document.ts';
import type { AppEnvironment } from '../http/create-app.ts';
import type { AdminContext } from './admin-context.ts';
import { configEndpoints } from './config-endpoints.ts';
import { eventStreamEndpoint } from './event-stream-endpoint.ts';
import { logEndpoints } from './log-endpoints.ts';
import { mountEndpoints, serveEndpoint } from './mount-endpoints.ts';
import { rateLimitEndpoints } from './rate-limit-endpoints.ts';
import { testEndpoint } from './test-endpoint.ts';

/** Mounts the whole admin API under `/api` (auth is applied by the app): every endpoint of `adminEndpoints`. */
export function mountAdminApi(app: Hono<AppEnvironment>, context: AdminContext): void {
  mountEndpoints(app, [
    serveEndpoint(adminEndpoints.info, ({ reply }) =>
      reply(200, {
        name: '429chain',
        version: context.version,
        mode: context.mode,
        startedAt: context.startedAt,
        config: {
          path: context.configFile.path ?? null,
          persisted: context.configFile.persisted,
          format: context.configFile.format,
        },
        store: context.storeInfo(),
        defaultChain: context.configFile.config.settings?.defaultChain ?? null,
      }),
    ),
    serveEndpoint(adminEndpoints.openApi, ({ reply }) => reply(200, openApiDocument(context.version))),
    ...configEndpoints(context),
    ...rateLimitEndpoints(context),
    ...logEndpoints(context),
    eventStreamEndpoint(context),
    testEndpoint(context),
  ]);
}
