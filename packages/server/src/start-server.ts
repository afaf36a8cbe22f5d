import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { type IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { type Chain, createChain, type Logger } from '@429chain/core';
import { serve } from '@hono/node-server';
import { mountAdminApi } from './admin/mount-admin-api.ts';
import { isLoopbackHost } from './auth/match-key.ts';
import { ConfigFile, writeAtomically } from './config/config-file.ts';
import { configFromEnvironment } from './config/environment-config.ts';
import { createDemoFetch, demoConfig } from './demo/demo-providers.ts';
import { startDemoTraffic } from './demo/demo-traffic.ts';
import { type AppContext, createApp, type ServerMode } from './http/create-app.ts';
import { createUpstreamFetch } from './http/create-upstream-fetch.ts';
import { serveDashboard } from './http/serve-dashboard.ts';
import { ChainMetrics } from './metrics/chain-metrics.ts';
import { openDatabase } from './persistence/open-database.ts';
import { openRateLimitStore } from './persistence/open-rate-limit-store.ts';
import { createSqliteRequestLogger, type SqliteRequestLogger } from './persistence/sqlite-request-logger.ts';
import { compactMemoryWhenIdle } from './runtime/compact-memory-when-idle.ts';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Config file (YAML or JSON). @default the first of ./429chain.yaml, ./config.yaml, ./config/config.yaml, else the environment */
  configPath?: string | undefined;
  /** Port; overrides `settings.port`. @default 3429 */
  port?: number | undefined;
  /** Host to bind; overrides `settings.host`. @default '127.0.0.1' */
  host?: string | undefined;
  /** SQLite file for the request log and rate-limit state; overrides `settings.dbPath`. @default './data/429chain.db' */
  dbPath?: string | undefined;
  /** Serve simulated providers instead of real ones. @default false (automatic when no config and no keys) */
  demo?: boolean | undefined;
  /** Send light simulated traffic in demo mode so the dashboard moves. @default true */
  demoTraffic?: boolean | undefined;
  /** Where to look for a config file when none is named. @default process.cwd() */
  searchDirectory?: string | undefined;
  /** Environment for `${NAME}` references and provider keys. @default process.env */
  env?: Record<string, string | undefined> | undefined;
  /** Built dashboard files; `false` serves none. @default the @429chain/dashboard package's dist */
  dashboardDirectory?: string | false | undefined;
  /** How long in-flight requests may take to finish on shutdown (ms). @default 10000 */
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
/** Config files looked for in the working directory, in order, when none is named. */
export const configCandidates: readonly string[] = [
  '429chain.yaml',
  '429chain.yml',
  '429chain.json',
  'config.yaml',
  'config/config.yaml',
];

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
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const { configFile, mode } = await loadConfiguration(options, env);
  const settings = configFile.config.settings ?? {};
  const host = options.host ?? settings.host ?? '127.0.0.1';
  const port = options.port ?? settings.port ?? 3429;

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
  if (!hasClientKeys)
    warnings.push('No client keys (settings.apiKeys): /v1 is open to anyone who can reach 127.0.0.1.');

  const dbPath = resolve(options.dbPath ?? settings.dbPath ?? './data/429chain.db');
  const database: DatabaseSync = openDatabase({ path: dbPath });
  let databaseOpen = true;

  let adminKeyFile: string | undefined;
  let fallbackAdminKeys: string[] = environmentAdminKeys;
  if ((settings.adminKeys?.length ?? 0) === 0 && environmentAdminKeys.length === 0) {
    adminKeyFile = join(dirname(dbPath), 'admin.key');
    fallbackAdminKeys = [await readOrCreateAdminKey(adminKeyFile)];
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
  const chain = createChain({
    ...(configFile.config as Parameters<typeof createChain>[0]),
    store,
    requestLogger,
    logger: options.logger,
    fetch: mode === 'demo' ? createDemoFetch({ fallback: baseFetch }) : baseFetch,
  });
  const metrics = new ChainMetrics(chain);

  let draining = false;
  const shutdown = new AbortController();
  const configChanged = new EventTarget();
  const storeInfo = opened.info;
  const dashboardDirectory =
    options.dashboardDirectory === false ? undefined : (options.dashboardDirectory ?? findDashboard());
  if (options.dashboardDirectory !== false && !dashboardDirectory) {
    warnings.push('The dashboard is not built: run `pnpm build` to serve it at /.');
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
    serverOptions: { ServerResponse: HeadersWithFirstChunk },
  });
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
          const timer = setTimeout(() => resolveTimeout(true), options.drainTimeoutMs ?? 10_000);
          timer.unref();
        }),
      ]).finally(() => clearInterval(idleSweep));
      await chain.close();
      if (timedOut && 'closeAllConnections' in server) server.closeAllConnections();
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
  const explicit = options.configPath ?? env.CHAIN429_CONFIG;
  if (explicit) return { configFile: await ConfigFile.load(resolve(explicit), { env }), mode: 'file' };
  const directory = options.searchDirectory ?? process.cwd();
  const found = configCandidates.map((name) => resolve(directory, name)).find((path) => existsSync(path));
  if (found) return { configFile: await ConfigFile.load(found, { env }), mode: 'file' };
  const fromEnvironment = configFromEnvironment(env);
  if (fromEnvironment)
    return { configFile: ConfigFile.fromObject(fromEnvironment, { env }), mode: 'environment' };
  return { configFile: ConfigFile.fromObject(demoConfig(), { env }), mode: 'demo' };
}

/** Reads the local admin key, or creates one (mode 0600) on first start. */
async function readOrCreateAdminKey(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  await mkdir(dirname(path), { recursive: true });
  const key = `adm-${randomBytes(24).toString('base64url')}`;
  await writeAtomically(path, `${key}\n`);
  return key;
}

function findDashboard(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const directory = join(dirname(require.resolve('@429chain/dashboard/package.json')), 'dist');
    return existsSync(join(directory, 'index.html')) ? directory : undefined;
  } catch {
    return undefined;
  }
}
