import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Duplex } from 'node:stream';
import { type Chain, createChain, type Logger, pickEngineConfig } from '@429chain/core';
import { serve } from '@hono/node-server';
import { mountAdminApi } from './admin/mount-admin-api.ts';
import { isLoopbackHost } from './auth/match-key.ts';
import { ConfigFile, writeAtomically } from './config/config-file.ts';
import { configFromEnvironment } from './config/environment-config.ts';
import { explainFileError } from './config/explain-file-error.ts';
import { findConfigFile } from './config/find-config-file.ts';
import { maskingLogger } from './config/mask-url-credentials.ts';
import { createDemoFetch, demoConfig } from './demo/demo-providers.ts';
import { startDemoTraffic } from './demo/demo-traffic.ts';
import { type AppContext, createApp, type ServerMode } from './http/create-app.ts';
import { createUpstreamFetch } from './http/create-upstream-fetch.ts';
import { serveDashboard } from './http/serve-dashboard.ts';
import { ChainMetrics } from './metrics/chain-metrics.ts';
import { openDatabase } from './persistence/open-database.ts';
import { openRateLimitStore } from './persistence/open-rate-limit-store.ts';
import { createSqliteRequestLogger, type SqliteRequestLogger } from './persistence/sqlite-request-logger.ts';
import { createSqliteResponseStore } from './persistence/sqlite-response-store.ts';
import { compactMemoryWhenIdle } from './runtime/compact-memory-when-idle.ts';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Config file (YAML or JSON). @default `CHAIN429_CONFIG`, else the first of ./429chain.yaml, …, config/config.yaml in `CHAIN429_CONFIG_DIR` (or the working directory), else the environment */
  configPath?: string | undefined;
  /** Port; overrides `PORT` and `settings.port`. @default 3429 */
  port?: number | undefined;
  /** Host to bind; overrides `HOST` and `settings.host`. @default '127.0.0.1' */
  host?: string | undefined;
  /** SQLite file for the request log and rate-limit state; overrides `CHAIN429_DB` and `settings.dbPath`. @default './data/429chain.db' */
  dbPath?: string | undefined;
  /** Serve simulated providers instead of real ones. @default false (automatic when no config and no keys) */
  demo?: boolean | undefined;
  /** Send light simulated traffic in demo mode so the dashboard moves. @default true */
  demoTraffic?: boolean | undefined;
  /** Where to look for a config file when none is named; overrides `CHAIN429_CONFIG_DIR`. @default process.cwd() */
  searchDirectory?: string | undefined;
  /**
   * Environment: `${NAME}` references, provider keys, and the settings it carries (`PORT`,
   * `HOST`, `CHAIN429_DB`, `CHAIN429_CONFIG`, `CHAIN429_CONFIG_DIR`, `CHAIN429_API_KEYS`,
   * `CHAIN429_ADMIN_KEYS`, `REDIS_URL`). Options win over it, and it wins over the file.
   * @default process.env
   */
  env?: Record<string, string | undefined> | undefined;
  /**
   * The built dashboard (`@429chain/dashboard`'s `dist`) to serve at `/`. The server does not
   * depend on the dashboard: whoever starts it hands it the folder (the CLI finds the package;
   * the Docker image sets `CHAIN429_DASHBOARD_DIR`). `false` or nothing serves none. @default none
   */
  dashboardDirectory?: string | false | undefined;
  /** How long in-flight requests may take to finish on shutdown (ms); overrides `settings.drainTimeoutMs`. @default 10000 */
  drainTimeoutMs?: number | undefined;
  /** Operational messages. @default silent */
  logger?: Logger | undefined;
  /** The fetch used to reach providers. @default keep-alive node:http/node:https (see create-upstream-fetch.ts) */
  fetch?: typeof globalThis.fetch | undefined;
}

/** A running proxy. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3429`. */
  url: string;
  host: string;
  port: number;
  mode: ServerMode;
  chain: Chain;
  configFile: ConfigFile;
  /** Where the generated admin key is kept, when the config names none. */
  adminKeyFile: string | undefined;
  /** Whether the dashboard is served. */
  dashboard: boolean;
  /** Problems worth telling the user at startup. */
  warnings: string[];
  /** Stops accepting, lets requests in flight finish (bounded), flushes the log, closes the database. */
  close(): Promise<void>;
}

const version = '0.1.0';
/**
 * A response whose headers leave with its first body chunk. `@hono/node-server` flushes a
 * streamed answer's headers on their own, but 429chain answers a stream only once its first
 * event is in hand, so the separate write only costs a syscall (on loopback, about as much
 * as the rest of the response). Nothing here holds headers back waiting for a body.
 */
class HeadersWithFirstChunk<
  Incoming extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Incoming> {
  override flushHeaders(): void {}
}

/** Starts the proxy: config, database, engine, HTTP. */
export async function startServer(given: StartServerOptions = {}): Promise<RunningServer> {
  // Whatever is logged (store errors carry URLs) has URL credentials masked.
  const options = { ...given, logger: given.logger ? maskingLogger(given.logger) : undefined };
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const { configFile, mode } = await loadConfiguration(options, env);
  const settings = configFile.config.settings ?? {};
  const host = options.host ?? (env.HOST || undefined) ?? settings.host ?? '127.0.0.1';
  const port = options.port ?? portFromEnvironment(env.PORT) ?? settings.port ?? 3429;

  const listed = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const extraClientKeys = listed(env.CHAIN429_API_KEYS);
  const environmentAdminKeys = listed(env.CHAIN429_ADMIN_KEYS);
  const hasClientKeys = (configFile.config.settings?.apiKeys?.length ?? 0) + extraClientKeys.length > 0;
  if (!isLoopbackHost(host) && !hasClientKeys) {
    throw new Error(
      `Refusing to listen on ${host} without client keys: set settings.apiKeys or CHAIN429_API_KEYS (or bind 127.0.0.1). Anyone who can reach this address could spend your quotas.`,
    );
  }
  if (settings.cors?.origins === '*' && !hasClientKeys) {
    throw new Error(
      'settings.cors.origins "*" needs client keys (settings.apiKeys or CHAIN429_API_KEYS): without them every web page could spend your quotas. List the origins instead.',
    );
  }
  if (!hasClientKeys)
    warnings.push('No client keys (settings.apiKeys): /v1 is open to anyone who can reach 127.0.0.1.');

  const dbPath = resolve(
    options.dbPath ?? (env.CHAIN429_DB || undefined) ?? settings.dbPath ?? './data/429chain.db',
  );
  let database: DatabaseSync;
  try {
    database = openDatabase({ path: dbPath });
  } catch (error) {
    throw explained(error, 'write');
  }
  let databaseOpen = true;

  let adminKeyFile: string | undefined;
  let fallbackAdminKeys: string[] = environmentAdminKeys;
  if ((settings.adminKeys?.length ?? 0) === 0 && environmentAdminKeys.length === 0) {
    adminKeyFile = join(dirname(dbPath), 'admin.key');
    fallbackAdminKeys = [
      await readOrCreateAdminKey(adminKeyFile).catch((error: unknown) => {
        database.close();
        throw explained(error, 'write');
      }),
    ];
  }

  // settings.store (or REDIS_URL): SQLite on this database by default, memory, or Redis.
  const opened = await openRateLimitStore({ settings, env, database, logger: options.logger }).catch(
    (error: unknown) => {
      database.close();
      throw error;
    },
  );
  const store = opened.store;
  const requestLogger: SqliteRequestLogger = createSqliteRequestLogger({
    database,
    retention: { maxAgeDays: settings.logRetentionDays, maxRows: settings.logMaxRows },
    onError: (error) => options.logger?.error('request log write failed', { error: String(error) }),
  });
  const baseFetch = options.fetch ?? createUpstreamFetch();
  const responseStore = createSqliteResponseStore({
    database,
    maxAgeDays: settings.responseRetentionDays,
    maxResponses: settings.responseStoreMaxResponses,
  });
  const chain = createChain({
    ...pickEngineConfig(configFile.config),
    store,
    responseStore,
    requestLogger,
    logger: options.logger,
    fetch: mode === 'demo' ? createDemoFetch({ fallback: baseFetch }) : baseFetch,
  });
  const metrics = new ChainMetrics(chain);

  let draining = false;
  const shutdown = new AbortController();
  const configChanged = new EventTarget();
  const storeInfo = opened.info;
  let dashboardDirectory = options.dashboardDirectory || undefined;
  if (dashboardDirectory !== undefined && !existsSync(join(dashboardDirectory, 'index.html'))) {
    warnings.push(
      `The dashboard is not built (no index.html in ${dashboardDirectory}): run \`pnpm build\` to serve it at /.`,
    );
    dashboardDirectory = undefined;
  }
  const context: AppContext = {
    chain,
    configFile,
    metrics,
    mode,
    version,
    startedAt: Date.now(),
    fallbackAdminKeys,
    extraClientKeys,
    databaseReady: () => databaseOpen,
    storeInfo,
    draining: () => draining,
    admin: (app) =>
      mountAdminApi(app, {
        chain,
        configFile,
        database,
        requestLogger,
        mode,
        version,
        startedAt: context.startedAt,
        storeInfo,
        configChanged,
        shutdown: shutdown.signal,
      }),
    dashboard: dashboardDirectory ? serveDashboard(dashboardDirectory) : undefined,
  };
  const app = createApp(context);

  const server = serve({
    fetch: app.fetch,
    port,
    hostname: host,
    serverOptions: {
      ServerResponse: HeadersWithFirstChunk,
      // A client that trickles its headers or its body is cut off (408) instead of holding a socket.
      // (Node requires the headers' timeout to be within the whole request's.)
      headersTimeout: Math.min(
        settings.clientHeadersTimeoutMs ?? 10_000,
        settings.clientRequestTimeoutMs ?? 60_000,
      ),
      requestTimeout: settings.clientRequestTimeoutMs ?? 60_000,
      connectionsCheckingInterval: 1_000,
    },
  }) as Server;
  server.maxConnections = settings.maxConnections ?? 1_024;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolveListening, reject) => {
    server.once('listening', () => resolveListening());
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const compactor = compactMemoryWhenIdle({
    server,
    idleMs: () => configFile.config.settings?.compactMemoryAfterIdleMs ?? 5_000,
    onCompaction: (durationMs) => metrics.recordCompaction(durationMs),
  });
  const stopTraffic =
    mode === 'demo' && options.demoTraffic !== false
      ? startDemoTraffic({ chain, logger: options.logger })
      : undefined;

  const drainTimeoutMs = options.drainTimeoutMs ?? settings.drainTimeoutMs ?? 10_000;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      shutdown.abort();
      stopTraffic?.();
      compactor.close();
      const drained = new Promise<void>((resolveClosed) => server.close(() => resolveClosed()));
      // A keep-alive connection whose last request ends during the drain goes idle only
      // then; close such connections as they appear instead of waiting for the client.
      const closeIdle = () => {
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      };
      closeIdle();
      const idleSweep = setInterval(closeIdle, 50);
      idleSweep.unref();
      const timedOut = await Promise.race([
        drained.then(() => false),
        new Promise<boolean>((resolveTimeout) => {
          const timer = setTimeout(() => resolveTimeout(true), drainTimeoutMs);
          timer.unref();
        }),
      ]);
      // Stops what is still running: streams end with an in-band error (no [DONE]) and are
      // logged as interrupted before the log is flushed.
      await chain.close();
      if (timedOut) {
        // Let those last events reach their clients; the idle sweep closes each connection as it ends.
        await Promise.race([
          drained,
          new Promise<void>((resolveGrace) => setTimeout(resolveGrace, finalWriteGraceMs).unref()),
        ]);
      }
      clearInterval(idleSweep);
      if ('closeAllConnections' in server) server.closeAllConnections();
      metrics.close();
      await opened.close();
      databaseOpen = false;
      database.close();
    })();
    return closing;
  };

  const displayHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${displayHost}:${address.port}`,
    host: address.address,
    port: address.port,
    mode,
    chain,
    configFile,
    adminKeyFile,
    dashboard: dashboardDirectory !== undefined,
    warnings,
    close,
  };
}

async function loadConfiguration(
  options: StartServerOptions,
  env: Record<string, string | undefined>,
): Promise<{ configFile: ConfigFile; mode: ServerMode }> {
  if (options.demo) return { configFile: ConfigFile.fromObject(demoConfig(), { env }), mode: 'demo' };
  const found = findConfigFile({
    explicit: options.configPath,
    env:
      options.searchDirectory === undefined ? env : { ...env, CHAIN429_CONFIG_DIR: options.searchDirectory },
    cwd: process.cwd(),
  });
  if (found) {
    const configFile = await ConfigFile.load(found, { env, logger: options.logger }).catch(
      (error: unknown) => {
        throw explained(error, 'read');
      },
    );
    return { configFile, mode: 'file' };
  }
  const fromEnvironment = configFromEnvironment(env);
  if (fromEnvironment)
    return { configFile: ConfigFile.fromObject(fromEnvironment, { env }), mode: 'environment' };
  return { configFile: ConfigFile.fromObject(demoConfig(), { env }), mode: 'demo' };
}

/** Reads the local admin key, or creates one (mode 0600) on first start. */
async function readOrCreateAdminKey(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = `adm-${randomBytes(24).toString('base64url')}`;
  await writeAtomically(path, `${key}\n`);
  return key;
}

/** How long a stream ended at the drain deadline gets to write its last event before its socket closes. */
const finalWriteGraceMs = 2_000;

/** A permission error as one that says what to do about it; any other error as it is. */
function explained(error: unknown, action: 'read' | 'write'): unknown {
  const explanation = explainFileError(error, action);
  return explanation === undefined
    ? error
    : Object.assign(new Error(explanation, { cause: error }), {
        code: (error as NodeJS.ErrnoException).code,
      });
}

/** `PORT` as a port number, undefined when unset; anything else is an error that says so. */
function portFromEnvironment(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT is "${value}": expected a port number from 0 to 65535.`);
  }
  return port;
}

/**
 * Answers what Node's HTTP parser refused (malformed requests, headers too large, a request
 * that took too long) with an OpenAI-shaped error when the socket can still take one, instead
 * of Node's empty `400 Bad Request` or a reset.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler: no answer on a dead socket, or over a response already under way.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = describeClientError(error);
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', code, param: null } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function describeClientError(error: Error & { code?: string }): [number, string, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headers_too_large', 'The request headers are too large.'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        'request_timeout',
        'The request did not arrive in time (settings.clientHeadersTimeoutMs, settings.clientRequestTimeoutMs).',
      ];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'request_too_large', 'The chunk extensions of the request body are too large.'];
    default:
      return [
        400,
        'malformed_request',
        `The request is not valid HTTP/1.1 (${error.code ?? error.message}).`,
      ];
  }
}
