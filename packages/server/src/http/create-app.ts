import type { Chain } from '@429chain/core';
import { type Context, Hono, type MiddlewareHandler, type Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ServerMode, StoreInfo } from '../admin-api/admin-api.ts';
import { type AcceptedKey, acceptedKeys, matchKey, presentedKey } from '../auth/match-key.ts';
import type { ConfigFile } from '../config/config-file.ts';
import type { ChainMetrics } from '../metrics/chain-metrics.ts';
import { allowOrigin, corsAllowsOrigin, isPreflight, preflightResponse } from './cors.ts';
import { createCrossOriginGuard } from './cross-origin-guard.ts';
import { clientErrorResponse, httpError, openAIErrorResponse } from './openai-error.ts';

export type { ServerMode } from '../admin-api/admin-api.ts';

/** Everything the HTTP layer needs; it holds no routing logic of its own. */
export interface AppContext {
  chain: Chain;
  configFile: ConfigFile;
  metrics: ChainMetrics;
  mode: ServerMode;
  version: string;
  startedAt: number;
  /** Admin keys used when the config names none (from the environment, or a generated local key). */
  fallbackAdminKeys: string[];
  /** Client keys accepted besides `settings.apiKeys` (from the environment). */
  extraClientKeys: string[];
  /** Whether the database is open (for `/ready`). */
  databaseReady(): boolean;
  /** The rate-limit store's health (for `/ready` and `/metrics`). */
  storeInfo(): StoreInfo;
  /** True once shutdown has begun: `/ready` answers 503. */
  draining(): boolean;
  /** Mounts the admin API (given the app so it shares auth and limits). */
  admin?: ((app: Hono<AppEnvironment>) => void) | undefined;
  /** Serves the dashboard's static files with an SPA fallback. */
  dashboard?: ((app: Hono<AppEnvironment>) => void) | undefined;
}

/** Values middleware hands to handlers. */
export interface AppEnvironment {
  Variables: {
    /** Label of the client key that authenticated, when keys are configured. */
    client: string | undefined;
  };
}

const defaultBodyLimitBytes = 4 * 1024 * 1024;
/** A 401 must carry a challenge (RFC 9110 §15.5.2); RFC 6750 names a wrong bearer token so. */
const invalidKeyChallenge = 'Bearer error="invalid_token"';

/**
 * The proxy as a `(Request) => Response` app: OpenAI endpoints under `/v1` (handed to
 * core), the admin API under `/api`, `/health`, `/ready`, `/metrics`, and the dashboard.
 * Every error is OpenAI-shaped.
 */
export function createApp(context: AppContext): Hono<AppEnvironment> {
  const app = new Hono<AppEnvironment>();
  const settings = () => context.configFile.config.settings ?? {};

  app.onError((error) => openAIErrorResponse(error));
  app.notFound((c) =>
    openAIErrorResponse(httpError(404, 'unknown_url', `Unknown path ${c.req.method} ${c.req.path}.`)),
  );

  const tooLarge = () => {
    const limit = settings().bodyLimitBytes ?? defaultBodyLimitBytes;
    return openAIErrorResponse(
      httpError(
        413,
        'request_too_large',
        `The request body is larger than ${limit} bytes (settings.bodyLimitBytes).`,
      ),
    );
  };
  const limitBody: MiddlewareHandler<AppEnvironment> = (c, next) => {
    const maxSize = settings().bodyLimitBytes ?? defaultBodyLimitBytes;
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    // A declared length is the body's length (node:http reads no more than it declares), so
    // it is checked without touching the body: reading `request.body` here would turn the
    // server's direct body read into a web stream, about 40 µs a request.
    const headers = c.req.raw.headers;
    const declared = headers.get('content-length');
    if (declared !== null && !headers.has('transfer-encoding')) {
      return Number(declared) > maxSize ? Promise.resolve(tooLarge()) : next();
    }
    // A chunked body is counted as it arrives.
    return bodyLimit({ maxSize, onError: tooLarge })(c, next);
  };

  // Without client keys, nothing a web page sends is served (DNS rebinding, text/plain posts).
  const clientKeyCache = cacheBy(
    () => settings().apiKeys,
    (values) => acceptedKeys([...(values ?? []), ...context.extraClientKeys]),
  );
  const guard = createCrossOriginGuard({
    hasClientKeys: () => clientKeyCache().length > 0,
    allowedHosts: () => settings().allowedHosts ?? [],
    // settings.cors.origins arrives with the CORS work; the guard already trusts it when present.
    allowedOrigins: () => (settings() as { cors?: { origins?: string[] } }).cors?.origins ?? [],
  });
  app.use('*', async (c, next) => guard(c.req.raw.headers) ?? next());

  // Liveness and readiness (metrics come after the keys, below).
  app.get('/health', (c) =>
    c.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - context.startedAt) / 1000) }),
  );
  app.get('/ready', (c) => {
    const store = context.storeInfo();
    const checks = {
      config: 'loaded',
      database: context.databaseReady() ? 'open' : 'closed',
      store: `${store.type}${store.up ? '' : ' (down)'}${store.fallback ? ' (fallback: memory)' : ''}`,
      draining: context.draining(),
    };
    // A shared store that is down without a fallback (onStoreError: deny) refuses every request.
    const ready = context.databaseReady() && !context.draining() && (store.up || store.fallback === true);
    return c.json(
      { status: ready ? 'ready' : 'unavailable', mode: context.mode, ...checks },
      ready ? 200 : 503,
    );
  });

  // OpenAI endpoints: authenticate, bound the body, hand to core.
  app.use('/v1/*', async (c, next) => {
    const keys = clientKeyCache();
    const cors = settings().cors;
    if (cors) {
      const origin = c.req.raw.headers.get('origin');
      if (corsAllowsOrigin(cors, origin, keys.length > 0)) {
        if (isPreflight(c.req.raw)) return preflightResponse(c.req.raw, origin!);
        const refused = authenticate(c, next, keys);
        if (refused instanceof Response) {
          allowOrigin(refused, origin!);
          return refused;
        }
        await refused;
        allowOrigin(c.res, origin!);
        return;
      }
    }
    return authenticate(c, next, keys);
  });
  /** Checks the client key: a refusal (in the caller's dialect), or the rest of the request. */
  const authenticate = (c: Context<AppEnvironment>, next: Next, keys: AcceptedKey[]) => {
    if (keys.length > 0) {
      const presented = presentedKey(c.req.raw.headers);
      if (!presented) {
        return clientErrorResponse(
          c.req.raw,
          httpError(
            401,
            'missing_api_key',
            'Missing API key: send it as "Authorization: Bearer <key>" or "x-api-key".',
          ),
          { 'www-authenticate': 'Bearer' },
        );
      }
      const key = matchKey(presented, keys);
      if (!key) {
        return clientErrorResponse(c.req.raw, httpError(401, 'invalid_api_key', 'Invalid API key.'), {
          'www-authenticate': invalidKeyChallenge,
        });
      }
      c.set('client', key.label);
    }
    return next();
  };
  app.use('/v1/*', limitBody);
  app.all('/v1/*', (c) => {
    const client = c.get('client');
    return context.chain.handle(c.req.raw, { metadata: client ? { client } : undefined, onAbort: 'close' });
  });

  // Admin API: separate keys.
  const adminKeyCache = cacheBy(
    () => settings().adminKeys ?? context.fallbackAdminKeys,
    (values) => acceptedKeys(values),
  );
  /** The refusal for a request without a valid admin key, or nothing when it has one. */
  const refuseNonAdmin = (headers: Headers, what: string): Response | undefined => {
    const keys: AcceptedKey[] = adminKeyCache();
    const presented = presentedKey(headers);
    if (!presented) {
      return openAIErrorResponse(
        httpError(
          401,
          'missing_admin_key',
          `${what[0]!.toUpperCase()}${what.slice(1)} needs an admin key: "Authorization: Bearer <admin key>".`,
        ),
        { 'www-authenticate': 'Bearer' },
      );
    }
    if (matchKey(presented, keys)) return undefined;
    return matchKey(presented, clientKeyCache())
      ? openAIErrorResponse(
          httpError(403, 'not_an_admin_key', `This is a client key; ${what} needs an admin key.`),
        )
      : openAIErrorResponse(httpError(401, 'invalid_admin_key', 'Invalid admin key.'), {
          'www-authenticate': invalidKeyChallenge,
        });
  };

  // Metrics name providers, models and quotas: once clients need keys, so does this.
  app.get('/metrics', async (c) => {
    const open = settings().publicMetrics ?? clientKeyCache().length === 0;
    const refused = open ? undefined : refuseNonAdmin(c.req.raw.headers, '/metrics');
    if (refused) return refused;
    const text = context.metrics.render(await context.chain.status(), { store: context.storeInfo() });
    return c.body(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  app.use('/api/*', async (c, next) => refuseNonAdmin(c.req.raw.headers, 'the admin API') ?? next());
  app.use('/api/*', limitBody);
  context.admin?.(app);
  context.dashboard?.(app);
  return app;
}

/** Recomputes a derived value only when its source changes (by identity). */
function cacheBy<Source, Value>(source: () => Source, derive: (source: Source) => Value): () => Value {
  let last: Source | undefined;
  let value: Value | undefined;
  let primed = false;
  return () => {
    const current = source();
    if (!primed || current !== last) {
      value = derive(current);
      last = current;
      primed = true;
    }
    return value as Value;
  };
}
