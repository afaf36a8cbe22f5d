import type { BlockRecord, BucketState, FailureRecord } from './bucket.ts';
import type { AcquireInput, AcquireResult } from './rate-limit-store.ts';
import { isIdle, type LeaseRecord, PlannedStore, type StoreTables } from './store-planner.ts';

/** What a memory store keeps across a restart: buckets (with nothing in flight), blocks and failure counts. */
export interface MemoryStoreState {
  buckets: BucketState[];
  blocks: BlockRecord[];
  /** Consecutive failures per scope; a bare count (older snapshots) is read as a run that began at 0. */
  failures: Array<[scope: string, record: FailureRecord | number]>;
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** State to start from (from {@link MemoryStore.exportState} before a restart). @default empty */
  state?: MemoryStoreState | undefined;
}

/** Acquires between two sweeps of idle buckets. */
const sweepEvery = 4_096;

/**
 * The default store: state in this process's memory. Each method runs without an `await`
 * inside, so each is atomic under JavaScript's single thread; the planner does the work on
 * plain maps. Its state can be exported and imported, so a process can keep it across
 * restarts (the server snapshots it into its database off the request path).
 */
export class MemoryStore extends PlannedStore {
  readonly #buckets = new Map<string, BucketState>();
  readonly #blocks = new Map<string, BlockRecord>();
  readonly #failures = new Map<string, FailureRecord>();
  readonly #leases = new Map<string, LeaseRecord>();
  readonly #tables: StoreTables;
  #version = 0;
  #untilSweep = sweepEvery;

  constructor(options: MemoryStoreOptions = {}) {
    super();
    for (const bucket of options.state?.buckets ?? []) this.#buckets.set(bucket.id, restoreBucket(bucket));
    for (const block of options.state?.blocks ?? []) this.#blocks.set(block.scope, restoreBlock(block));
    for (const [scope, record] of options.state?.failures ?? []) {
      this.#failures.set(scope, typeof record === 'number' ? { count: record, since: 0 } : { ...record });
    }
    const buckets = this.#buckets;
    const blocks = this.#blocks;
    const failures = this.#failures;
    const leases = this.#leases;
    // Values handed out are never changed in place by the planner (it saves new objects), so
    // the maps can hold and return them as they are. Every write counts as a change (a snapshot
    // is then due); reads do not.
    const changed = () => {
      this.#version++;
    };
    this.#tables = {
      bucket: (id) => buckets.get(id),
      saveBucket: (state) => {
        changed();
        buckets.set(state.id, state);
      },
      deleteBucket: (id) => {
        changed();
        buckets.delete(id);
      },
      block: (scope) => blocks.get(scope),
      saveBlock: (block) => {
        changed();
        blocks.set(block.scope, block);
      },
      deleteBlock: (scope) => {
        changed();
        blocks.delete(scope);
      },
      failures: (scope) => failures.get(scope),
      saveFailures: (scope, record) => {
        changed();
        failures.set(scope, record);
      },
      deleteFailures: (scope) => {
        changed();
        failures.delete(scope);
      },
      lease: (id) => leases.get(id),
      saveLease: (lease) => leases.set(lease.id, lease),
      deleteLease: (id) => leases.delete(id),
      expiredLeases: (now) => {
        const expired: LeaseRecord[] = [];
        for (const lease of leases.values()) if (lease.expiresAt <= now) expired.push(lease);
        return expired;
      },
      allBuckets: () => [...buckets.values()],
      allBlocks: () => [...blocks.values()],
      allFailureScopes: () => [...failures.keys()],
    };
  }

  /** Counts changes to what {@link exportState} holds: a snapshot is due when it differs from the one last saved. */
  get version(): number {
    return this.#version;
  }

  /** The state worth keeping across a restart (leases in flight are not). */
  exportState(): MemoryStoreState {
    return {
      buckets: [...this.#buckets.values()].map((bucket) => ({
        ...bucket,
        log: [...bucket.log],
        inFlight: 0,
      })),
      blocks: [...this.#blocks.values()].map((block) => ({ ...block, probeUntil: null })),
      failures: [...this.#failures.entries()].map(([scope, record]) => [scope, { ...record }]),
    };
  }

  override async acquire(input: AcquireInput): Promise<AcquireResult> {
    if (--this.#untilSweep <= 0) this.#sweep(input.now);
    return super.acquire(input);
  }

  /** Every operation runs without an `await` inside: one JavaScript turn, so atomic. */
  protected run<T>(operation: (tables: StoreTables) => T): T {
    return operation(this.#tables);
  }

  async close(): Promise<void> {
    this.#buckets.clear();
    this.#blocks.clear();
    this.#failures.clear();
    this.#leases.clear();
  }

  /** Forgets buckets idle for long, so that names seen once do not stay forever. */
  #sweep(now: number): void {
    this.#untilSweep = sweepEvery;
    for (const state of this.#buckets.values()) if (isIdle(state, now)) this.#buckets.delete(state.id);
  }
}

/** A bucket from a snapshot, possibly written by an older version (no log, no window). */
function restoreBucket(bucket: BucketState): BucketState {
  return {
    ...bucket,
    windowMs: bucket.windowMs ?? null,
    log: Array.isArray(bucket.log) ? bucket.log.map((entry) => ({ ...entry })) : [],
    runStart: bucket.runStart ?? 0,
    inFlight: 0,
  };
}

/** A block from a snapshot, possibly written by an older version (a `probing` state, no release). */
function restoreBlock(block: BlockRecord): BlockRecord {
  const state = (block.state as string) === 'probing' ? 'circuit-open' : block.state;
  return {
    ...block,
    state,
    release: block.release ?? (state === 'circuit-open' ? 'probe' : 'all'),
    probeUntil: null,
  };
}

/** Creates the default in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
