import type { ChainConfig, ChainConfigInput } from './config/config-schema.ts';
import { parseConfig } from './config/parse-config.ts';
import { type ResolvedConfig, resolveConfig } from './config/resolve-config.ts';
import { ChainClosedError } from './errors.ts';
import { type ChainEventListener, type ChainEventName, ChainEvents } from './events/chain-events.ts';
import { type Logger, silentLogger } from './events/logger.ts';
import type { RequestLogger } from './events/request-logger.ts';
import { errorResponse, type HandleOptions, handleRequest } from './http/handle-request.ts';
import { createRequestId } from './http/request-id.ts';
import { WaitQueue } from './queue/wait-queue.ts';
import { createMemoryStore } from './rate-limit/memory-store.ts';
import type { RateLimitStore } from './rate-limit/rate-limit-store.ts';
import { RateLimitTracker } from './rate-limit/rate-limit-tracker.ts';
import type { EngineContext } from './routing/engine-context.ts';
import { type ChainStatus, describeStatus } from './status/chain-status.ts';

/** Options of {@link createChain}: the config file's shape, plus what plugs in. */
export interface CreateChainOptions extends ChainConfigInput {
  /** Where rate-limit state lives. @default an in-memory store */
  store?: RateLimitStore | undefined;
  /** Receives one record per request, with its attempt trail. */
  requestLogger?: RequestLogger | undefined;
  /** Operational messages (store failures, dropped stream events). @default silent */
  logger?: Logger | undefined;
  /**
   * The fetch used to reach providers. One that already holds an answer's bytes can mark the
   * `Response` with `withBufferedBody` or `withChunkSource`, and the engine reads them without a
   * web stream in between. @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch | undefined;
  /** The clock. @default Date.now */
  now?: (() => number) | undefined;
}

/** What `reset()` forgets. */
export interface ResetOptions {
  /** Only this provider's buckets and blocks. */
  provider?: string | undefined;
  /** Only scopes starting with this (as shown by `status()`). */
  scope?: string | undefined;
}

/** An engine instance: a real `fetch` over the chains. */
export interface Chain {
  /** A real `fetch`: give it to the OpenAI SDK (or any client) as its `fetch`. Serves `/v1/*` in-process. */
  fetch: typeof globalThis.fetch;
  /** The same, for servers: `(Request) => Response`. */
  handle(request: Request, options?: HandleOptions): Promise<Response>;
  /** The live rate-limit picture of every entry, bucket and block. */
  status(): Promise<ChainStatus>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<Name extends ChainEventName>(event: Name, listener: ChainEventListener<Name>): () => void;
  /** The current (validated) config. */
  config(): ChainConfig;
  /** Replaces the config live; requests in flight finish on the old one. Throws ConfigError when invalid. */
  update(config: ChainConfigInput): void;
  /** Forgets rate-limit state (all, or one provider's, or one scope's). */
  reset(options?: ResetOptions): Promise<void>;
  /** Stops queued requests, aborts upstream requests, flushes the logger, and closes the store. */
  close(): Promise<void>;
}

/**
 * Creates the engine. The config has the shape of the config file (`settings`,
 * `providers`, `chains`) and is validated with the same schema; invalid input throws
 * a ConfigError that names every problem's path.
 *
 * ```ts
 * const chain = createChain({ providers, chains, settings });
 * const openai = new OpenAI({ apiKey: 'unused', baseURL: 'http://429chain.local/v1', fetch: chain.fetch });
 * ```
 */
export function createChain(options: CreateChainOptions): Chain {
  const {
    store: givenStore,
    requestLogger,
    logger = silentLogger,
    fetch: givenFetch,
    now = Date.now,
  } = options;
  let validated = parseConfig({
    version: options.version,
    settings: options.settings,
    providers: options.providers,
    chains: options.chains,
  });
  let resolved: ResolvedConfig = resolveConfig(validated);
  const store = givenStore ?? createMemoryStore();
  const ownsStore = givenStore === undefined;
  const shutdown = new AbortController();
  const rotations = new Map<string, number>();

  const events = new ChainEvents((error, event) =>
    logger.error('an event listener threw', {
      event,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  const tracker = new RateLimitTracker({
    store,
    settings: () => resolved.settings,
    now,
    onChange: (scope) => events.emit('ratelimit-change', { scope, at: now() }),
  });
  const queue = new WaitQueue({ maxSize: () => resolved.settings.queueMaxSize, now });
  const context: EngineContext = {
    config: () => resolved,
    tracker,
    events,
    logger,
    queue,
    fetch: givenFetch ?? ((input, init) => globalThis.fetch(input, init)),
    now,
    shutdown: shutdown.signal,
    rotation: (entry) => {
      const next = (rotations.get(entry) ?? -1) + 1;
      rotations.set(entry, next);
      return next;
    },
    running: new Set(),
  };
  if (requestLogger) {
    events.on('request-end', ({ record }) => {
      try {
        const logged = requestLogger.log(record);
        if (logged instanceof Promise) {
          logged.catch((error: unknown) =>
            logger.error('the request logger failed', { error: String(error) }),
          );
        }
      } catch (error) {
        logger.error('the request logger failed', { error: String(error) });
      }
    });
  }

  const handle = async (request: Request, handleOptions?: HandleOptions): Promise<Response> => {
    if (shutdown.signal.aborted) return errorResponse(new ChainClosedError(), createRequestId());
    const work = handleRequest(context, request, handleOptions);
    context.running.add(work);
    try {
      return await work;
    } finally {
      context.running.delete(work);
    }
  };

  return {
    fetch: (input, init) => handle(new Request(input, init)),
    handle,
    async status() {
      const at = now();
      return describeStatus(resolved, await store.snapshot({ now: at }), { now: at, queueSize: queue.size });
    },
    on: (event, listener) => events.on(event, listener),
    config: () => validated,
    update(config) {
      validated = parseConfig(config);
      resolved = resolveConfig(validated);
      queue.notify();
    },
    async reset(resetOptions = {}) {
      if (resetOptions.scope !== undefined) await store.reset({ scopePrefix: resetOptions.scope });
      else if (resetOptions.provider !== undefined) {
        await store.reset({ scopePrefix: `${resetOptions.provider}~` });
        await store.reset({ scopePrefix: `${resetOptions.provider}/` });
      } else await store.reset();
      events.emit('ratelimit-change', {
        scope: resetOptions.scope ?? resetOptions.provider ?? '*',
        at: now(),
      });
      queue.notify();
    },
    async close() {
      if (shutdown.signal.aborted) return;
      queue.close();
      shutdown.abort(new DOMException('The chain was closed.', 'AbortError'));
      await Promise.allSettled([...context.running]);
      await requestLogger?.close?.();
      if (ownsStore) await store.close();
      events.clear();
    },
  };
}
