/**
 * CORS for the client surfaces (`/v1`), off unless `settings.cors.origins` allows an origin; the
 * admin API never answers cross-origin. `"*"` is honoured only while client keys are set (a
 * browser page must then hold a key), so an open local proxy never serves every web page.
 */

/** `settings.cors` as written. */
export interface CorsSettings {
  origins: '*' | string[];
}

/** The response headers a browser may read: who answered, the trail, and the retry hints. */
const exposedHeaders = [
  'x-request-id',
  'x-429chain-request-id',
  'x-429chain-chain',
  'x-429chain-provider',
  'x-429chain-model',
  'x-429chain-attempts',
  'x-429chain-trail',
  'retry-after',
  'x-should-retry',
].join(', ');

/** Whether `settings.cors` lets `origin` call the client surfaces. */
export function corsAllowsOrigin(
  cors: CorsSettings | undefined,
  origin: string | null | undefined,
  hasClientKeys: boolean,
): boolean {
  if (!cors || !origin) return false;
  if (cors.origins === '*') return hasClientKeys;
  return cors.origins.includes(origin);
}

/** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin. */
export function preflightResponse(request: Request, origin: string): Response {
  const headers = new Headers({
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
    'access-control-max-age': '600',
    vary: 'origin, access-control-request-headers',
  });
  const asked = request.headers.get('access-control-request-headers');
  headers.set('access-control-allow-headers', asked ?? 'authorization, content-type, x-api-key');
  return new Response(null, { status: 204, headers });
}

/** Whether a request is a CORS preflight. */
export function isPreflight(request: Request): boolean {
  return request.method === 'OPTIONS' && request.headers.has('access-control-request-method');
}

/** Adds the CORS answer headers to a response for an allowed origin. */
export function allowOrigin(response: Response, origin: string): void {
  response.headers.set('access-control-allow-origin', origin);
  response.headers.set('access-control-expose-headers', exposedHeaders);
  response.headers.append('vary', 'origin');
}
