import { createHash } from 'node:crypto';
import type {
  AcquireInput,
  AcquireResult,
  BlockInput,
  BlockRecord,
  BlockState,
  BucketKind,
  BucketObservation,
  BucketSource,
  BucketState,
  BucketWindow,
  RateLimitStore,
  SettleInput,
  StoreSnapshot,
} from '@429chain/core';
import { rateLimitScript } from './rate-limit-script.ts';

/**
 * What the store needs of a Redis client. ioredis's `Redis` and `Cluster` both fit;
 * the store calls nothing else, and never connects, quits or sees a URL.
 */
export interface RedisScriptClient {
  evalsha(sha: string, numberOfKeys: number, ...keysAndArguments: string[]): Promise<unknown>;
  eval(script: string, numberOfKeys: number, ...keysAndArguments: string[]): Promise<unknown>;
  ping(): Promise<unknown>;
}

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** A connected client that you own (ioredis `Redis` or `Cluster`); `close()` leaves it open. */
  client: RedisScriptClient;
  /**
   * Prefix of every key. It must contain a non-empty `{hash tag}`: every key then falls in
   * one Redis Cluster slot, which lets one script touch them all.
   * @default '{429chain}:'
   */
  prefix?: string | undefined;
  /** How long a key outlives the moment it stops mattering: a bucket's reset, a block's end, a lease's expiry (ms). @default 3600000 */
  keyMarginMs?: number | undefined;
  /** How long a key with no end of its own lives after its last change: a bucket without a window, a half-open circuit (ms). @default 86400000 */
  idleTtlMs?: number | undefined;
  /** How long a consecutive-failure count lives after the last failure it counted (ms). @default 3600000 */
  failureTtlMs?: number | undefined;
}

const defaultPrefix = '{429chain}:';

/** The SHA-1 of the script, as Redis names it in EVALSHA. */
export const rateLimitScriptSha: string = createHash('sha1').update(rateLimitScript).digest('hex');

type Operation =
  | 'acquire'
  | 'settle'
  | 'observe'
  | 'block'
  | 'unblock'
  | 'recordFailure'
  | 'clearFailures'
  | 'snapshot'
  | 'reset';

/** A bucket or block as the script returns it: numbers as strings, absent when null. */
type Encoded = Record<string, string | undefined>;

/**
 * A rate-limit store on Redis, for several proxy replicas that share one quota picture.
 * Each method is one Lua script run atomically by Redis (EVALSHA, and EVAL when the
 * server does not know the script yet). TTLs are computed from the caller's `now`, so
 * the replicas' clocks must agree with one another but not with Redis's.
 */
export class RedisStore implements RateLimitStore {
  readonly #client: RedisScriptClient;
  readonly #prefix: string;
  readonly #settings: string;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.prefix ?? defaultPrefix;
    if (hashTagOf(prefix) === undefined) {
      throw new TypeError(
        `The Redis key prefix must contain a {hash tag}, e.g. "{429chain}:" — not "${prefix}". ` +
          'Every key of the store must fall in one Redis Cluster slot.',
      );
    }
    this.#client = options.client;
    this.#prefix = prefix;
    this.#settings = JSON.stringify({
      keyMarginMs: positive('keyMarginMs', options.keyMarginMs ?? 3_600_000),
      idleTtlMs: positive('idleTtlMs', options.idleTtlMs ?? 86_400_000),
      failureTtlMs: positive('failureTtlMs', options.failureTtlMs ?? 3_600_000),
    });
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.#prefix;
  }

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const reply = await this.#run('acquire', {
      now: input.now,
      leaseId: input.leaseId,
      leaseExpiresAt: input.leaseExpiresAt,
      blockScopes: input.blockScopes,
      buckets: input.buckets.map((demand) => ({
        id: demand.id,
        scope: demand.scope,
        kind: demand.kind,
        window: demand.window,
        source: demand.source,
        cost: demand.cost,
        limit: demand.limit,
        nextResetAt: demand.nextResetAt,
      })),
      probeUntil: input.probeUntil,
    });
    if (reply.blocked) return { ok: false, blocked: toBlock(reply.blocked as Encoded) };
    if (reply.bucket) {
      return { ok: false, bucket: toBucket(reply.bucket as Encoded), cost: Number(reply.cost) };
    }
    return { ok: true, probe: reply.probe === true };
  }

  async settle(input: SettleInput): Promise<void> {
    await this.#run('settle', {
      now: input.now,
      leaseId: input.leaseId,
      buckets: input.buckets.map((settled) => ({
        id: settled.id,
        reserved: settled.reserved,
        used: settled.used,
        observed: settled.observed ? observationOf(settled.observed) : undefined,
      })),
      clearFailures: input.clearFailures ?? [],
    });
  }

  async observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    await this.#run('observe', { now: input.now, observations: input.observations.map(observationOf) });
  }

  async block(input: BlockInput): Promise<void> {
    await this.#run('block', {
      now: input.now,
      scope: input.scope,
      state: input.state,
      until: input.until,
      reason: input.reason,
      mode: input.mode,
    });
  }

  async unblock(input: { scopes: string[] }): Promise<void> {
    if (input.scopes.length === 0) return;
    await this.#run('unblock', { scopes: input.scopes });
  }

  async recordFailure(input: { now: number; scope: string }): Promise<number> {
    const reply = await this.#run('recordFailure', { now: input.now, scope: input.scope });
    return Number(reply.count);
  }

  async clearFailures(input: { scope: string }): Promise<void> {
    await this.#run('clearFailures', { scope: input.scope });
  }

  async snapshot(input: { now: number }): Promise<StoreSnapshot> {
    const reply = await this.#run('snapshot', { now: input.now });
    return {
      buckets: listOf(reply.buckets).map(toBucket),
      blocks: listOf(reply.blocks).map(toBlock),
    };
  }

  async reset(input: { scopePrefix?: string | undefined } = {}): Promise<void> {
    await this.#run('reset', { scopePrefix: input.scopePrefix });
  }

  /** Resolves when Redis answers a PING (for health checks and the fallback store's probe). */
  async ping(): Promise<void> {
    this.#checkOpen();
    await this.#client.ping();
  }

  /** Stops the store; the client is yours and stays open. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Runs one operation of the script: EVALSHA first, EVAL when Redis answers NOSCRIPT. */
  async #run(operation: Operation, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.#checkOpen();
    const keysAndArguments = [
      `${this.#prefix}leases`,
      operation,
      this.#prefix,
      this.#settings,
      JSON.stringify(input),
    ];
    let reply: unknown;
    try {
      reply = await this.#client.evalsha(rateLimitScriptSha, 1, ...keysAndArguments);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      // Redis restarted, failed over, or flushed its scripts: EVAL also caches it again.
      reply = await this.#client.eval(rateLimitScript, 1, ...keysAndArguments);
    }
    const text = typeof reply === 'string' ? reply : Buffer.isBuffer(reply) ? reply.toString('utf8') : '';
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) {
      throw new Error(`The Redis rate-limit script answered ${operation} with ${text.slice(0, 100)}`);
    }
    return parsed as Record<string, unknown>;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('The Redis rate-limit store is closed.');
  }
}

/** Creates a rate-limit store on a Redis client you own. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}

/**
 * The part of a key Redis Cluster hashes: between the first `{` and the first `}` after
 * it, when that is not empty (the Cluster spec's rule). Undefined when there is none.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${name} must be a positive number of milliseconds, not ${value}`);
  }
  return value;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function observationOf(observation: BucketObservation): Record<string, unknown> {
  return {
    id: observation.id,
    scope: observation.scope,
    kind: observation.kind,
    window: observation.window,
    source: observation.source,
    limit: observation.limit,
    remaining: observation.remaining,
    resetAt: observation.resetAt,
  };
}

/** cjson encodes an empty table as `{}`: an empty list. */
function listOf(value: unknown): Encoded[] {
  return Array.isArray(value) ? (value as Encoded[]) : [];
}

function numberOrNull(value: string | undefined): number | null {
  return value === undefined ? null : Number(value);
}

function toBucket(encoded: Encoded): BucketState {
  return {
    id: encoded.id ?? '',
    scope: encoded.scope ?? '',
    kind: encoded.kind as BucketKind,
    window: encoded.window as BucketWindow,
    source: encoded.source as BucketSource,
    limit: numberOrNull(encoded.limit),
    remaining: numberOrNull(encoded.remaining),
    resetAt: numberOrNull(encoded.resetAt),
    inFlight: Number(encoded.inFlight ?? 0),
    updatedAt: Number(encoded.updatedAt ?? 0),
  };
}

function toBlock(encoded: Encoded): BlockRecord {
  return {
    scope: encoded.scope ?? '',
    state: encoded.state as BlockState,
    until: Number(encoded.until ?? 0),
    reason: encoded.reason ?? '',
    since: Number(encoded.since ?? 0),
  };
}
