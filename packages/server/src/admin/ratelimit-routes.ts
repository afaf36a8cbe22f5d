import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnvironment } from '../http/create-app.ts';
import { httpError } from '../http/openai-error.ts';
import type { AdminContext } from './admin-context.ts';
import { readJsonObject, route } from './route-methods.ts';

const resetSchema = z.strictObject({
  /** Forget one provider's state. */
  provider: z.string().min(1).optional(),
  /** Forget one scope's state (as shown in `/api/ratelimits`). */
  scope: z.string().min(1).optional(),
});

/** Mounts `/api/ratelimits` (the live board) and `/api/ratelimits/reset`. */
export function mountRateLimitRoutes(app: Hono<AppEnvironment>, context: AdminContext): void {
  route(app, '/api/ratelimits', {
    GET: async (c) => c.json(await context.chain.status()),
  });
  route(app, '/api/ratelimits/reset', {
    POST: async (c) => {
      const parsed = resetSchema.safeParse(await readJsonObject(c.req.raw));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw httpError(
          400,
          'invalid_value',
          `Invalid reset: ${issue.path.join('.') || 'body'}: ${issue.message}`,
          {
            param: issue.path.join('.') || undefined,
          },
        );
      }
      const { provider, scope } = parsed.data;
      if (
        provider !== undefined &&
        !context.chain.config().providers.some((found) => found.id === provider)
      ) {
        throw httpError(404, 'provider_not_found', `No provider with id "${provider}".`, {
          param: 'provider',
        });
      }
      await context.chain.reset({ provider, scope });
      return c.json({ reset: scope ?? provider ?? 'all', status: await context.chain.status() });
    },
  });
}
