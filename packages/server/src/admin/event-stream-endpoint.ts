import { streamSSE } from 'hono/streaming';
import type { AdminEventName } from '../admin-api/admin-api.ts';
import { adminEndpoints } from '../admin-api/admin-endpoints.ts';
import type { AdminContext } from './admin-context.ts';
import { type ServedEndpoint, serveEndpoint } from './mount-endpoints.ts';

const statusThrottleMs = 500;
const heartbeatMs = 15_000;

/**
 * `GET /api/events`: a live Server-Sent Events stream of requests (`request-start`,
 * `attempt-end`, `request-end`), rate-limit changes (`status`, throttled, with the whole
 * board), queue movements and config changes. A `status` event is sent first.
 */
export function eventStreamEndpoint(context: AdminContext): ServedEndpoint {
  return serveEndpoint(adminEndpoints.events, ({ c }) =>
    streamSSE(c, async (stream) => {
      const { chain } = context;
      let closed = false;
      let statusTimer: ReturnType<typeof setTimeout> | undefined;
      let sequence = 0;
      const send = (event: AdminEventName, data: unknown) => {
        if (closed) return;
        void stream.writeSSE({ event, data: JSON.stringify(data), id: String(++sequence) }).catch(() => {
          closed = true;
        });
      };
      const sendStatus = async () => {
        statusTimer = undefined;
        if (!closed) send('status', await chain.status());
      };
      const scheduleStatus = () => {
        statusTimer ??= setTimeout(() => void sendStatus(), statusThrottleMs);
      };
      const onConfigChange = () => {
        send('config-change', { at: Date.now() });
        scheduleStatus();
      };
      const unsubscribe = [
        chain.on('request-start', (payload) => send('request-start', payload)),
        chain.on('attempt-end', (payload) => send('attempt-end', payload)),
        chain.on('request-end', ({ record }) => {
          send('request-end', record);
          scheduleStatus();
        }),
        chain.on('ratelimit-change', scheduleStatus),
        chain.on('queue-join', (payload) => send('queue-join', payload)),
        chain.on('queue-leave', (payload) => send('queue-leave', payload)),
      ];
      context.configChanged.addEventListener('change', onConfigChange);
      const heartbeat = setInterval(() => {
        if (!closed) void stream.write(': heartbeat\n\n').catch(() => undefined);
      }, heartbeatMs);
      heartbeat.unref();
      await stream.writeSSE({
        event: 'hello' satisfies AdminEventName,
        data: JSON.stringify({ mode: context.mode, version: context.version }),
        retry: 2_000,
      });
      await sendStatus();
      await new Promise<void>((resolve) => {
        const stop = () => {
          closed = true;
          resolve();
        };
        stream.onAbort(stop);
        c.req.raw.signal.addEventListener('abort', stop, { once: true });
        context.shutdown.addEventListener('abort', stop, { once: true });
      });
      clearInterval(heartbeat);
      clearTimeout(statusTimer);
      for (const off of unsubscribe) off();
      context.configChanged.removeEventListener('change', onConfigChange);
    }),
  );
}
