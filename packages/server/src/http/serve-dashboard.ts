import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import type { AppEnvironment } from './create-app.ts';

const reserved = /^\/(?:v1|api)(?:\/|$)|^\/(?:health|ready|metrics)$/;

/**
 * Serves the dashboard's built files at `/`, with an SPA fallback to `index.html`
 * for page routes (paths without a file extension). `/v1`, `/api` and the probe
 * endpoints are left alone, so their 404s stay OpenAI-shaped.
 */
export function serveDashboard(directory: string): (app: Hono<AppEnvironment>) => void {
  const files = serveStatic<AppEnvironment>({
    root: directory,
    onFound: (path, c) => {
      c.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const index = serveStatic<AppEnvironment>({ path: join(directory, 'index.html') });
  return (app) => {
    app.get('*', (c, next) => (reserved.test(c.req.path) ? next() : files(c, next)));
    app.get('*', (c, next) => {
      const last = c.req.path.split('/').at(-1) ?? '';
      if (reserved.test(c.req.path) || last.includes('.')) return next();
      c.header('cache-control', 'no-cache');
      return index(c, next);
    });
  };
}
