import { StoreUnavailableError } from '../errors.ts';
import { type Logger, silentLogger } from '../events/logger.ts';
import type { BucketObservation, FailureRecord } from './bucket.ts';
import { createMemoryStore } from './memory-store.ts';
import type {
  AcquireInput,
  AcquireResult,
  BlockInput,
  RateLimitStore,
  RefuseInput,
  RefuseResult,
  SettleInput,
  StoreSnapshot,
  ViewInput,
} from './rate-limit-store.ts';

/** Options of {@link createFallbackStore}. */
export interface FallbackStoreOptions {
  /** The shared store (e.g. Redis); closed by `close()`. */
  primary: RateLimitStore;
  /**
   * While the primary fails: `allow` serves from a local store, `deny` refuses every
   * reservation with a {@link StoreUnavailableError} (an OpenAI-shaped 503).
   * @default 'allow'
   */
  onError?: 'allow' | 'deny' | undefined;
  /** Creates the local store used during an outage under `allow`; a new one per outage. @default createMemoryStore */
  createFallback?: (() => RateLimitStore) | undefined;
  /** Resolves when the primary answers; rejects when it does not. @default the primary's `ping()` when it has one, else a snapshot */
  probe?: (() => Promise<unknown>) | undefined;
  /** How often the primary is probed (ms): finds an outage while idle, and its end. @default 1000 */
  probeIntervalMs?: number | undefined;
  /** Longest a call or probe of the primary may take before it counts as a failure (ms). @default 2000 */
  timeoutMs?: number | undefined;
  /** Gets one warning when an outage begins and one message when it ends. @default silent */
  logger?: Logger | undefined;
  /** The clock, for replaying what was learned during an outage. @default Date.now */
  now?: (() => number) | undefined;
  /** The primary's name in log lines, e.g. `redis`. @default 'primary' */
  name?: string | undefined;
}

/** Most lease ids tracked for release after an outage; older ones simply lapse at their expiry. */
const trackedLeasesMax = 10_000;

/** Health of a {@link FallbackStore}, for readiness checks and metrics. */
export interface FallbackStoreStatus {
  /** The primary answered its last call or probe. */
  up: boolean;
  /** Calls are being served by the local fallback store (`allow` during an outage). */
  fallback: boolean;
  /** When the current outage began (epoch ms). */
  downSince: number | undefined;
}

/**
 * Wraps a shared store so that its outage never hangs or fails a request by surprise.
 * Every call of the primary is bounded by `timeoutMs`; the first failure starts an
 * outage (one warning), during which calls go to a local memory store (`allow`) or are
 * refused (`deny`, except `snapshot`, which shows nothing so that status pages and
 * metrics keep answering). A timer (unref'd) probes the primary; when it answers again,
 * the blocks learned locally that still run (cooldowns, parked keys, broken entries,
 * exhausted quotas, open circuits) are written to it with `extend` and their release — so the replicas
 * learn them too — and the local store is dropped: its bucket counts saw only this
 * replica's traffic, and the primary's own counts (or a fresh window) are the better
 * picture. A lease the primary granted but that was settled during the outage is settled
 * on the primary when it returns, which frees its units (a concurrency slot above all);
 * a lease taken from the local store is forgotten with it.
 */
export class FallbackStore implements RateLimitStore {
  readonly #primary: RateLimitStore;
  readonly #policy: 'allow' | 'deny';
  readonly #createFallback: () => RateLimitStore;
  readonly #probe: () => Promise<unknown>;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #name: string;
  readonly #timer: ReturnType<typeof setInterval>;
  #local: RateLimitStore | undefined;
  #downSince: number | undefined;
  #lastError: unknown;
  #checking: Promise<boolean> | undefined;
  /** Leases the primary granted and has not seen settled, oldest first. */
  readonly #primaryLeases = new Set<string>();
  /** Of those, the ones settled while the primary was away: released there on its return. */
  readonly #orphanedLeases = new Set<string>();
  #closed = false;

  constructor(options: FallbackStoreOptions) {
    this.#primary = options.primary;
    this.#policy = options.onError ?? 'allow';
    this.#createFallback = options.createFallback ?? createMemoryStore;
    this.#now = options.now ?? Date.now;
    const primary = options.primary as RateLimitStore & { ping?: () => Promise<unknown> };
    this.#probe =
      options.probe ??
      (typeof primary.ping === 'function'
        ? () => primary.ping?.() ?? Promise.resolve()
        : () => primary.snapshot({ now: this.#now() }));
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#logger = options.logger ?? silentLogger;
    this.#name = options.name ?? 'primary';
    const interval = options.probeIntervalMs ?? 1_000;
    this.#timer = setInterval(() => void this.check(), interval);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Whether the primary answers and whether the fallback is in use. */
  status(): FallbackStoreStatus {
    const down = this.#downSince !== undefined;
    return { up: !down, fallback: down && this.#policy === 'allow', downSince: this.#downSince };
  }

  /**
   * Probes the primary now (one probe at a time) and switches back to it when it
   * answers during an outage. Resolves to whether the primary is in use.
   */
  check(): Promise<boolean> {
    this.#checking ??= this.#runCheck().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  acquire(input: AcquireInput): Promise<AcquireResult> {
    return this.#call(async (store) => {
      const result = await store.acquire(input);
      if (result.ok && store === this.#primary) this.#remember(this.#primaryLeases, input.leaseId);
      return result;
    });
  }

  settle(input: SettleInput): Promise<void> {
    return this.#call(
      async (store) => {
        if (store === this.#primary) {
          await store.settle(input);
          this.#primaryLeases.delete(input.leaseId);
        } else {
          this.#orphan(input.leaseId);
          await store.settle(input);
        }
      },
      () => {
        this.#orphan(input.leaseId);
        throw new StoreUnavailableError(undefined, { cause: this.#lastError });
      },
    );
  }

  refuse(input: RefuseInput): Promise<RefuseResult> {
    return this.#call(
      async (store) => {
        if (store === this.#primary) {
          const result = await store.refuse(input);
          this.#primaryLeases.delete(input.leaseId);
          return result;
        }
        this.#orphan(input.leaseId);
        return store.refuse(input);
      },
      () => {
        this.#orphan(input.leaseId);
        throw new StoreUnavailableError(undefined, { cause: this.#lastError });
      },
    );
  }

  observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    return this.#call((store) => store.observe(input));
  }

  block(input: BlockInput): Promise<void> {
    return this.#call((store) => store.block(input));
  }

  unblock(input: { scopes: string[] }): Promise<void> {
    return this.#call((store) => store.unblock(input));
  }

  recordFailure(input: { now: number; scope: string }): Promise<FailureRecord> {
    return this.#call((store) => store.recordFailure(input));
  }

  clearFailures(input: { scope: string }): Promise<void> {
    return this.#call((store) => store.clearFailures(input));
  }

  view(input: ViewInput): Promise<StoreSnapshot> {
    return this.#call(
      (store) => store.view(input),
      () => ({ buckets: [], blocks: [] }),
    );
  }

  snapshot(input: { now: number }): Promise<StoreSnapshot> {
    return this.#call(
      (store) => store.snapshot(input),
      () => ({ buckets: [], blocks: [] }),
    );
  }

  reset(input?: { scopePrefix?: string | undefined }): Promise<void> {
    return this.#call((store) => store.reset(input));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#checking?.catch(() => {});
    const local = this.#local;
    this.#local = undefined;
    await local?.close();
    await this.#primary.close();
  }

  async #call<T>(work: (store: RateLimitStore) => Promise<T>, whenDenied?: () => T): Promise<T> {
    if (this.#closed) throw new Error('The rate-limit store is closed.');
    if (this.#downSince === undefined) {
      try {
        return await this.#bounded(work(this.#primary));
      } catch (error) {
        if (this.#closed) throw error;
        this.#fail(error);
      }
    }
    if (this.#policy === 'deny') {
      if (whenDenied) return whenDenied();
      throw new StoreUnavailableError(undefined, { cause: this.#lastError });
    }
    this.#local ??= this.#createFallback();
    return work(this.#local);
  }

  async #runCheck(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.#bounded(this.#probe());
    } catch (error) {
      if (!this.#closed) this.#fail(error);
      return false;
    }
    if (this.#downSince !== undefined && !this.#closed) await this.#recover();
    return this.#downSince === undefined;
  }

  /** The primary answers again: hand it what was learned meanwhile, then use it. */
  async #recover(): Promise<void> {
    const local = this.#local;
    let copied = 0;
    if (local) {
      try {
        const now = this.#now();
        const { blocks } = await local.snapshot({ now });
        for (const block of blocks) {
          if (block.until <= now) continue;
          await this.#bounded(
            this.#primary.block({
              now: block.since,
              scope: block.scope,
              state: block.state,
              until: block.until,
              reason: block.reason,
              mode: 'extend',
              release: block.release,
            }),
          );
          copied += 1;
        }
      } catch {
        return; // Still failing: the next probe tries again.
      }
    }
    const downForMs = this.#now() - (this.#downSince ?? this.#now());
    this.#downSince = undefined;
    this.#local = undefined;
    await local?.close();
    const released = await this.#releaseOrphans();
    this.#logger.info(`rate-limit store "${this.#name}" is back; using it again`, {
      downForMs,
      blocksCopied: copied,
      leasesReleased: released,
    });
  }

  /**
   * Settles, on the primary, the leases it granted that were settled elsewhere during the
   * outage, so their units (a concurrency slot above all) do not wait for the lease to
   * lapse. Stops at the first failure; what is left lapses at its expiry, or is tried again
   * after the next outage.
   */
  async #releaseOrphans(): Promise<number> {
    let released = 0;
    for (const leaseId of [...this.#orphanedLeases]) {
      try {
        await this.#bounded(this.#primary.settle({ now: this.#now(), leaseId, buckets: [] }));
      } catch {
        break;
      }
      this.#orphanedLeases.delete(leaseId);
      released += 1;
    }
    return released;
  }

  /** A lease the primary granted is settled elsewhere: remember to release it there. */
  #orphan(leaseId: string): void {
    if (this.#primaryLeases.delete(leaseId)) this.#remember(this.#orphanedLeases, leaseId);
  }

  /** Adds to a bounded set of lease ids, forgetting the oldest past {@link trackedLeasesMax}. */
  #remember(leases: Set<string>, leaseId: string): void {
    leases.add(leaseId);
    if (leases.size <= trackedLeasesMax) return;
    const oldest = leases.values().next().value;
    if (oldest !== undefined) leases.delete(oldest);
  }

  #fail(error: unknown): void {
    this.#lastError = error;
    if (this.#downSince !== undefined) return;
    this.#downSince = this.#now();
    const doing =
      this.#policy === 'allow'
        ? 'serving from a local memory store until it is back (settings.onStoreError: allow)'
        : 'refusing requests until it is back (settings.onStoreError: deny)';
    this.#logger.warn(`rate-limit store "${this.#name}" is unreachable; ${doing}`, {
      error: error instanceof Error ? error.message : String(error),
    });
  }

  /** Fails when the primary does not settle within `timeoutMs`. */
  #bounded<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the ${this.#name} store did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      (timer as { unref?: () => void }).unref?.();
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Wraps a shared store with a local fallback (or a clean refusal) for its outages. */
export function createFallbackStore(options: FallbackStoreOptions): FallbackStore {
  return new FallbackStore(options);
}
