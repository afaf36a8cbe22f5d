import type { Hono } from 'hono';
import type { AppEnvironment } from '../http/create-app.ts';
import { httpError } from '../http/openai-error.ts';
import { getRequest, listRequests } from '../persistence/request-log-queries.ts';
import { usageStats } from '../persistence/usage-stats.ts';
import type { AdminContext } from './admin-context.ts';
import { route, withValidQuery } from './route-methods.ts';

/** Mounts the request log (`/api/requests`, `/api/requests/:id`) and usage statistics (`/api/stats`). */
export function mountLogRoutes(app: Hono<AppEnvironment>, context: AdminContext): void {
  route(app, '/api/requests', {
    GET: async (c) => {
      await context.requestLogger.flush().catch(() => undefined);
      return c.json(withValidQuery(() => listRequests(context.database, c.req.query())));
    },
  });
  route(app, '/api/requests/:id', {
    GET: async (c) => {
      await context.requestLogger.flush().catch(() => undefined);
      const record = getRequest(context.database, c.req.param('id')!);
      if (!record)
        throw httpError(404, 'request_not_found', `No request with id "${c.req.param('id')!}" in the log.`);
      return c.json(record);
    },
  });
  route(app, '/api/stats', {
    GET: async (c) => {
      await context.requestLogger.flush().catch(() => undefined);
      return c.json(withValidQuery(() => usageStats(context.database, c.req.query())));
    },
  });
}
