import { Redis } from 'ioredis';

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` for TLS. */
  url: string;
  /** Longest wait for a connection to be established (ms). @default 2000 */
  connectTimeoutMs?: number | undefined;
  /** Longest wait for the reply to one command; past it the command fails (ms). @default 1000 */
  commandTimeoutMs?: number | undefined;
  /** Longest pause between two reconnection attempts while Redis is away (ms). @default 2000 */
  reconnectMaxDelayMs?: number | undefined;
  /** Connection name shown by CLIENT LIST. @default '429chain' */
  connectionName?: string | undefined;
}

/**
 * Creates an ioredis client set up so that no caller ever waits on a dead Redis: a
 * bounded connect and command timeout, no offline queue (a command sent while
 * disconnected fails at once), no command replayed after a lost connection, and
 * reconnection in the background with a capped delay. The connection starts at once;
 * `quit()` it when done. Errors are left to the caller's `error` listener; the client
 * gets a no-op one so that an outage never crashes the process.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const reconnectMaxDelayMs = options.reconnectMaxDelayMs ?? 2_000;
  const client = new Redis(options.url, {
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 10), reconnectMaxDelayMs),
    connectionName: options.connectionName ?? '429chain',
    lazyConnect: false,
  });
  // Without a listener an 'error' event would throw; the fallback store reports outages.
  client.on('error', () => {});
  return client;
}

/**
 * Resolves true once the client is ready, or false at its first connection error or
 * after `timeoutMs`, whichever comes first. It never rejects: an unreachable Redis is the
 * fallback store's business, not a reason to refuse to start.
 */
export function waitUntilReady(client: Redis, timeoutMs = 2_000): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      resolve(ready);
    };
    const onReady = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
