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

// Types of the store contract that core's index does not name.
type RefuseInput = Parameters<RateLimitStore['refuse']>[0];
type RefuseResult = Awaited<ReturnType<RateLimitStore['refuse']>>;
type ViewInput = Parameters<RateLimitStore['view']>[0];
type FailureRecord = Awaited<ReturnType<RateLimitStore['recordFailure']>>;
type LearntLimit = NonNullable<BucketState['learnt']>;

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

/**
 * The planner's constants the script needs (core's `logCapacity`, `idleBucketMs` and
 * `idleLearntMs`, which core's index does not export; a test checks they match): most entries
 * a sliding log keeps, and how long an idle bucket and an idle learnt limit are kept (ms).
 */
export const plannerConstants = {
  logCapacity: 64,
  idleBucketMs: 3_600_000,
  idleLearntMs: 86_400_000,
} as const;

/** The SHA-1 of the script, as Redis names it in EVALSHA. */
export const rateLimitScriptSha: string = createHash('sha1').update(rateLimitScript).digest('hex');

type Operation =
  | 'acquire'
  | 'settle'
  | 'refuse'
  | 'observe'
  | 'block'
  | 'unblock'
  | 'recordFailure'
  | 'clearFailures'
  | 'view'
  | 'snapshot'
  | 'reset';

/** A bucket or block as the script returns it: numbers as strings, absent when null. */
type Encoded = Record<string, string | undefined>;

/**
 * A rate-limit store on Redis, for several proxy replicas that share one quota picture.
 * Each method is one Lua script run atomically by Redis (EVALSHA, and EVAL when the
 * server does not know the script yet): core's planner written in Lua, held to the same
 * conformance suite. TTLs are computed from the caller's `now`, so the replicas' clocks
 * must agree with one another but not with Redis's.
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
      ...plannerConstants,
    });
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.#prefix;
  }

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    const reply = await this.#run('acquire', input);
    if (reply.blocked) return { ok: false, blocked: toBlock(reply.blocked as Encoded) };
    if (reply.bucket) {
      return { ok: false, bucket: toBucket(reply.bucket as Encoded), cost: Number(reply.cost) };
    }
    return { ok: true, probes: reply.probes as string[] };
  }

  async settle(input: SettleInput): Promise<void> {
    await this.#run('settle', input);
  }

  async refuse(input: RefuseInput): Promise<RefuseResult> {
    const reply = await this.#run('refuse', input);
    return {
      block: toBlock(reply.block as Encoded),
      learnt: (reply.learnt as Encoded[]).map(toBucket),
    };
  }

  async observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    await this.#run('observe', input);
  }

  async block(input: BlockInput): Promise<void> {
    await this.#run('block', input);
  }

  async unblock(input: { scopes: string[] }): Promise<void> {
    if (input.scopes.length === 0) return;
    await this.#run('unblock', input);
  }

  async recordFailure(input: { now: number; scope: string }): Promise<FailureRecord> {
    const reply = await this.#run('recordFailure', input);
    return { count: Number(reply.count), since: Number(reply.since) };
  }

  async clearFailures(input: { scope: string }): Promise<void> {
    await this.#run('clearFailures', input);
  }

  async view(input: ViewInput): Promise<StoreSnapshot> {
    return toSnapshot(await this.#run('view', input));
  }

  async snapshot(input: { now: number }): Promise<StoreSnapshot> {
    return toSnapshot(await this.#run('snapshot', input));
  }

  async reset(input: { scopePrefix?: string | undefined } = {}): Promise<void> {
    await this.#run('reset', input);
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

  /**
   * Runs one operation of the script: EVALSHA first, EVAL when Redis answers NOSCRIPT. The
   * input goes as it is, in JSON (undefined fields drop out, which the script reads as absent).
   */
  async #run(operation: Operation, input: object): Promise<Record<string, unknown>> {
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

function numberOrNull(value: string | undefined): number | null {
  return value === undefined ? null : Number(value);
}

function toSnapshot(reply: Record<string, unknown>): StoreSnapshot {
  return {
    buckets: (reply.buckets as Encoded[]).map(toBucket),
    blocks: (reply.blocks as Encoded[]).map(toBlock),
  };
}

function toBucket(encoded: Encoded): BucketState {
  const bucket: BucketState = {
    id: encoded.id ?? '',
    scope: encoded.scope ?? '',
    kind: encoded.kind as BucketKind,
    window: encoded.window as BucketWindow,
    source: encoded.source as BucketSource,
    limit: numberOrNull(encoded.limit),
    remaining: numberOrNull(encoded.remaining),
    resetAt: numberOrNull(encoded.resetAt),
    windowMs: numberOrNull(encoded.windowMs),
    log: encoded.log === undefined ? [] : logOf(encoded.log),
    runStart: Number(encoded.runStart ?? 0),
    resetGuessed: encoded.resetGuessed === '1' ? true : undefined,
    inFlight: Number(encoded.inFlight ?? 0),
    updatedAt: Number(encoded.updatedAt ?? 0),
  };
  if (encoded.learnt !== undefined) {
    const learnt = JSON.parse(encoded.learnt) as Omit<LearntLimit, 'at'> & { at: string };
    bucket.learnt = { ...learnt, at: Number(learnt.at) };
  }
  return bucket;
}

/** A sliding log as the script writes it, with every digit: `[at, units, at, units, …]`. */
function logOf(text: string): BucketState['log'] {
  const flat = JSON.parse(text) as number[];
  const log: Array<BucketState['log'][number]> = [];
  for (let index = 0; index + 1 < flat.length; index += 2)
    log.push({ at: flat[index]!, units: flat[index + 1]! });
  return log;
}

function toBlock(encoded: Encoded): BlockRecord {
  return {
    scope: encoded.scope ?? '',
    state: encoded.state as BlockState,
    until: Number(encoded.until ?? 0),
    reason: encoded.reason ?? '',
    since: Number(encoded.since ?? 0),
    release: encoded.release === 'all' ? 'all' : 'probe',
    probeUntil: numberOrNull(encoded.probeUntil),
  };
}
