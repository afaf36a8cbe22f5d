import type { Hono } from 'hono';
import type { AppEnvironment } from '../http/create-app.ts';
import type { AdminContext } from './admin-context.ts';
import { mountConfigRoutes } from './config-routes.ts';
import { mountEventStreamRoute } from './event-stream-route.ts';
import { mountLogRoutes } from './log-routes.ts';
import { openApiDocument } from './openapi-document.ts';
import { mountRateLimitRoutes } from './ratelimit-routes.ts';
import { route } from './route-methods.ts';
import { mountTestRoute } from './test-route.ts';

/** Mounts the whole admin API under `/api` (auth is applied by the app). */
export function mountAdminApi(app: Hono<AppEnvironment>, context: AdminContext): void {
  route(app, '/api/info', {
    GET: (c) =>
      c.json({
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
  });
  route(app, '/api/openapi.json', { GET: (c) => c.json(openApiDocument(context.version)) });
  mountConfigRoutes(app, context);
  mountRateLimitRoutes(app, context);
  mountLogRoutes(app, context);
  mountEventStreamRoute(app, context);
  mountTestRoute(app, context);
}
