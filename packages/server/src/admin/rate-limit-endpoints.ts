import { adminEndpoints } from '../admin-api/admin-endpoints.ts';
import { httpError } from '../http/openai-error.ts';
import type { AdminContext } from './admin-context.ts';
import { type ServedEndpoint, serveEndpoint } from './mount-endpoints.ts';

/** `/api/ratelimits` (the live board) and `/api/ratelimits/reset`. */
export function rateLimitEndpoints(context: AdminContext): ServedEndpoint[] {
  return [
    serveEndpoint(adminEndpoints.getRateLimits, async ({ reply }) =>
      reply(200, await context.chain.status()),
    ),
    serveEndpoint(adminEndpoints.resetRateLimits, async ({ body, reply }) => {
      const { provider, scope } = body;
      if (
        provider !== undefined &&
        !context.chain.config().providers.some((found) => found.id === provider)
      ) {
        throw httpError(404, 'provider_not_found', `No provider with id "${provider}".`, {
          param: 'provider',
        });
      }
      await context.chain.reset({ provider, scope });
      return reply(200, { reset: scope ?? provider ?? 'all', status: await context.chain.status() });
    }),
  ];
}
