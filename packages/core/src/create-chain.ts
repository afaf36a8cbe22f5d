import type { ChainConfig, ChainConfigInput } from './config/config-schema.ts';
import { parseConfig } from './config/parse-config.ts';
import { type ResolvedConfig, resolveConfig } from './config/resolve-config.ts';
import { ChainClosedError } from './errors.ts';
import { type ChainEventListener, type ChainEventName, ChainEvents } from './events/chain-events.ts';
import { type Logger, silentLogger } from './events/logger.ts';
import type { RequestLogger } from './events/request-logger.ts';
import { errorResponse, type HandleOptions, handleRequest } from './http/handle-request.ts';
import { createRequestId } from './http/request-id.ts';
import { definePreset } from './providers/define-preset.ts';
import type { ProviderPresetSettings } from './providers/provider-preset.ts';
import { WaitQueue } from './queue/wait-queue.ts';
import { BackgroundProbes } from './rate-limit/background-probes.ts';
import { createMemoryStore } from './rate-limit/memory-store.ts';
import type { RateLimitStore } from './rate-limit/rate-limit-store.ts';
import { RateLimitTracker } from './rate-limit/rate-limit-tracker.ts';
import type { EngineContext } from './routing/engine-context.ts';
import { type ChainStatus, describeStatus } from './status/chain-status.ts';
import { createMemoryResponseStore, type ResponseStore } from './surfaces/responses/response-store.ts';

/**
 * Options of {@link createChain}: the config file's shape with engine settings only (a
 * server's config goes through `pickEngineConfig` first), plus what plugs in.
 */
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
  /**
   * Where `POST /v1/responses` keeps responses for `previous_response_id` and
   * `GET /v1/responses/{id}`. @default in memory, `settings.responseStoreMaxResponses` at most
   */
  responseStore?: ResponseStore | undefined;
  /** The clock. @default Date.now */
  now?: (() => number) | undefined;
  /**
   * Your own provider dialects, named by a provider's `type` like the built-in ones (which they
   * may also replace by using the same id); one without `classify` reads errors with the shared
   * classifier. @default none: the built-in presets only
   */
  presets?: readonly ProviderPresetSettings[] | undefined;
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
  /** Replaces the config live (engine settings only); requests in flight finish on the old one. Throws ConfigError when invalid. */
  update(config: ChainConfigInput): void;
  /** Forgets rate-limit state (all, or one provider's, or one scope's). */
  reset(options?: ResetOptions): Promise<void>;
  /** Stops queued requests, aborts upstream requests, flushes the logger, and closes the store. */
  close(): Promise<void>;
}

/**
 * Creates the engine. The config has the shape of the config file (`settings`,
 * `providers`, `chains`) and is validated with the engine's schema; invalid input, and a
 * setting only the server reads (`settings.port`), throws a ConfigError that names every
 * problem's path.
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
  const presets = (options.presets ?? []).map(definePreset);
  let validated = parseConfig(
    {
      version: options.version,
      settings: options.settings,
      providers: options.providers,
      chains: options.chains,
    },
    { presets },
  );
  let resolved: ResolvedConfig = resolveConfig(validated, presets);
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
  const upstreamFetch: typeof globalThis.fetch =
    givenFetch ?? ((input, init) => globalThis.fetch(input, init));
  const probes = new BackgroundProbes({
    tracker: () => tracker,
    settings: () => resolved.settings,
    fetch: upstreamFetch,
    now,
    logger,
    shutdown: shutdown.signal,
  });
  const tracker = new RateLimitTracker({
    store,
    settings: () => resolved.settings,
    now,
    onChange: (scope) => events.emit('ratelimit-change', { scope, at: now() }),
    onCircuitOpen: (candidate, until) => probes.schedule(candidate, until),
  });
  const queue = new WaitQueue({ maxSize: () => resolved.settings.queueMaxSize, now });
  const context: EngineContext = {
    config: () => resolved,
    tracker,
    events,
    logger,
    queue,
    fetch: upstreamFetch,
    now,
    shutdown: shutdown.signal,
    rotation: (entry) => {
      const next = (rotations.get(entry) ?? -1) + 1;
      rotations.set(entry, next);
      return next;
    },
    responses:
      options.responseStore ??
      createMemoryResponseStore({ maxResponses: validated.settings?.responseStoreMaxResponses }),
    running: new Set(),
  };
  const open = new OpenRequests();
  events.on('request-start', ({ id }) => open.add(id));
  events.on('request-end', ({ record }) => open.delete(record.id));
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
      validated = parseConfig(config, { presets });
      const admitted = resolved.unlistedModels;
      resolved = resolveConfig(validated, presets);
      carryUnlistedModels(admitted, resolved);
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
      probes.close();
      shutdown.abort(new DOMException('The chain was closed.', 'AbortError'));
      await Promise.allSettled([...context.running]);
      // Streams already answering end in-band once their upstream is stopped; their records
      // come then, and must reach the logger before it closes.
      await open.settled(closeWaitMs);
      await Promise.allSettled([...context.running]);
      await requestLogger?.close?.();
      if (ownsStore) await store.close();
      events.clear();
    },
  };
}

/** How long `close()` waits for open streams to end in-band before it closes the logger anyway. */
const closeWaitMs = 5_000;

/** Requests started and not yet ended, so `close()` can wait for the last records. */
class OpenRequests {
  readonly #ids = new Set<string>();
  #waiters: Array<() => void> = [];

  add(id: string): void {
    this.#ids.add(id);
  }

  delete(id: string): void {
    this.#ids.delete(id);
    if (this.#ids.size > 0 || this.#waiters.length === 0) return;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once none is open, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.#ids.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      (timer as { unref?: () => void }).unref?.();
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Unlisted `provider/model` names admitted before a config update stay admitted (within the limit) while they are still allowed. */
function carryUnlistedModels(admitted: Set<string>, resolved: ResolvedConfig): void {
  if (!resolved.settings.allowUnlistedModels) return;
  for (const address of admitted) {
    if (resolved.unlistedModels.size >= resolved.settings.unlistedModelLimit) return;
    const slash = address.indexOf('/');
    const provider = resolved.providers.get(address.slice(0, slash));
    if (provider && !provider.models.has(address.slice(slash + 1))) resolved.unlistedModels.add(address);
  }
}
