import { adminEndpoints } from '../admin-api/admin-endpoints.ts';
import { httpError } from '../http/openai-error.ts';
import { getRequest, readRequestPage } from '../persistence/request-log-queries.ts';
import { usageStatsFor } from '../persistence/usage-stats.ts';
import type { AdminContext } from './admin-context.ts';
import { type ServedEndpoint, serveEndpoint } from './mount-endpoints.ts';

/** The request log (`/api/requests`, `/api/requests/:id`) and usage statistics (`/api/stats`). */
export function logEndpoints(context: AdminContext): ServedEndpoint[] {
  const flushed = () => context.requestLogger.flush().catch(() => undefined);
  return [
    serveEndpoint(adminEndpoints.listRequests, async ({ query, reply }) => {
      await flushed();
      return reply(200, readRequestPage(context.database, query));
    }),
    serveEndpoint(adminEndpoints.getRequest, async ({ params, reply }) => {
      await flushed();
      const record = getRequest(context.database, params.id);
      if (!record) throw httpError(404, 'request_not_found', `No request with id "${params.id}" in the log.`);
      return reply(200, record);
    }),
    serveEndpoint(adminEndpoints.getStats, async ({ query, reply }) => {
      await flushed();
      return reply(200, usageStatsFor(context.database, query));
    }),
  ];
}
