import type { BlockRecord, BucketObservation, BucketState } from './bucket.ts';
import {
  admits,
  applyObservation,
  currentView,
  nextBlock,
  prepareBucket,
  refundUnits,
  takeUnits,
} from './bucket-arithmetic.ts';
import type {
  AcquireInput,
  AcquireResult,
  BlockInput,
  RateLimitStore,
  SettleInput,
  StoreSnapshot,
} from './rate-limit-store.ts';

interface Lease {
  expiresAt: number;
  /** bucket id → units held in flight */
  holdings: Map<string, number>;
}

/** What a memory store keeps across a restart: buckets (with nothing in flight), blocks and failure counts. */
export interface MemoryStoreState {
  buckets: BucketState[];
  blocks: BlockRecord[];
  failures: Array<[scope: string, count: number]>;
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** State to start from (from {@link MemoryStore.exportState} before a restart). @default empty */
  state?: MemoryStoreState | undefined;
}

/**
 * The default store: state in this process's memory. Each method runs without
 * an `await` inside, so each is atomic under JavaScript's single thread. Its state can
 * be exported and imported, so a process can keep it across restarts (the server
 * snapshots it into its database off the request path).
 */
export class MemoryStore implements RateLimitStore {
  readonly #buckets = new Map<string, BucketState>();
  readonly #blocks = new Map<string, BlockRecord>();
  readonly #failures = new Map<string, number>();
  readonly #leases = new Map<string, Lease>();
  #version = 0;

  constructor(options: MemoryStoreOptions = {}) {
    for (const bucket of options.state?.buckets ?? [])
      this.#buckets.set(bucket.id, { ...bucket, inFlight: 0 });
    for (const block of options.state?.blocks ?? []) this.#blocks.set(block.scope, { ...block });
    for (const [scope, count] of options.state?.failures ?? []) this.#failures.set(scope, count);
  }

  /** Counts changes: a snapshot is due when it differs from the one last saved. */
  get version(): number {
    return this.#version;
  }

  /** The state worth keeping across a restart (leases in flight are not). */
  exportState(): MemoryStoreState {
    return {
      buckets: [...this.#buckets.values()].map((bucket) => ({ ...bucket, inFlight: 0 })),
      blocks: [...this.#blocks.values()].map((block) => ({ ...block })),
      failures: [...this.#failures.entries()],
    };
  }

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    this.#version++;
    this.#expireLeases(input.now);
    let probe: BlockRecord | undefined;
    for (const scope of input.blockScopes) {
      const block = this.#blocks.get(scope);
      if (!block) continue;
      if (block.until > input.now) return { ok: false, blocked: { ...block } };
      const halfOpen = block.state === 'circuit-open' || block.state === 'probing';
      if (halfOpen && !probe) probe = block;
      else if (!halfOpen) this.#blocks.delete(scope);
    }
    for (const demand of input.buckets) {
      // Creating, refilling and resizing stand even when the attempt is refused.
      const state = prepareBucket(this.#buckets.get(demand.id), demand, input.now);
      this.#buckets.set(demand.id, state);
      if (!admits(state, demand.cost)) return { ok: false, bucket: { ...state }, cost: demand.cost };
    }
    if (probe) {
      this.#blocks.set(probe.scope, {
        ...probe,
        state: 'probing',
        until: input.probeUntil,
        since: input.now,
      });
    }
    const holdings = new Map<string, number>();
    for (const demand of input.buckets) {
      this.#buckets.set(demand.id, takeUnits(this.#buckets.get(demand.id)!, demand.cost, input.now));
      holdings.set(demand.id, (holdings.get(demand.id) ?? 0) + demand.cost);
    }
    this.#leases.set(input.leaseId, { expiresAt: input.leaseExpiresAt, holdings });
    return { ok: true, probe: probe !== undefined };
  }

  async settle(input: SettleInput): Promise<void> {
    this.#version++;
    const lease = this.#leases.get(input.leaseId);
    if (lease) {
      this.#leases.delete(input.leaseId);
      this.#release(lease);
    }
    // Leases that have lapsed no longer hold anything an observation should subtract.
    this.#expireLeases(input.now);
    for (const settled of input.buckets) {
      if (settled.observed) this.#apply(settled.observed, input.now);
      if (settled.observed?.remaining !== undefined || settled.used === undefined) continue;
      const state = this.#buckets.get(settled.id);
      if (state && lease?.holdings.has(settled.id)) {
        this.#buckets.set(settled.id, refundUnits(state, settled.reserved, settled.used, input.now));
      }
    }
    for (const scope of input.clearFailures ?? []) this.#failures.delete(scope);
  }

  async observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    this.#version++;
    this.#expireLeases(input.now);
    for (const observation of input.observations) this.#apply(observation, input.now);
  }

  async block(input: BlockInput): Promise<void> {
    this.#version++;
    const block = nextBlock(this.#blocks.get(input.scope), input);
    if (block) this.#blocks.set(input.scope, block);
  }

  async unblock(input: { scopes: string[] }): Promise<void> {
    this.#version++;
    for (const scope of input.scopes) this.#blocks.delete(scope);
  }

  async recordFailure(input: { now: number; scope: string }): Promise<number> {
    this.#version++;
    const count = (this.#failures.get(input.scope) ?? 0) + 1;
    this.#failures.set(input.scope, count);
    return count;
  }

  async clearFailures(input: { scope: string }): Promise<void> {
    this.#version++;
    this.#failures.delete(input.scope);
  }

  async snapshot(input: { now: number }): Promise<StoreSnapshot> {
    this.#expireLeases(input.now);
    const buckets = [...this.#buckets.values()].map((state) => currentView(state, input.now));
    const blocks = [...this.#blocks.values()]
      .filter(
        (block) => block.until > input.now || block.state === 'circuit-open' || block.state === 'probing',
      )
      .map((block) => ({ ...block }));
    return { buckets, blocks };
  }

  async reset(input: { scopePrefix?: string | undefined } = {}): Promise<void> {
    this.#version++;
    const prefix = input.scopePrefix ?? '';
    for (const [id, state] of this.#buckets) {
      if (state.scope.startsWith(prefix) && state.inFlight === 0) this.#buckets.delete(id);
      else if (state.scope.startsWith(prefix)) {
        state.remaining = state.limit;
        state.resetAt = null;
      }
    }
    for (const scope of this.#blocks.keys()) if (scope.startsWith(prefix)) this.#blocks.delete(scope);
    for (const scope of this.#failures.keys()) if (scope.startsWith(prefix)) this.#failures.delete(scope);
  }

  async close(): Promise<void> {
    this.#buckets.clear();
    this.#blocks.clear();
    this.#failures.clear();
    this.#leases.clear();
  }

  #apply(observation: BucketObservation, now: number): void {
    this.#buckets.set(observation.id, applyObservation(this.#buckets.get(observation.id), observation, now));
  }

  #release(lease: Lease): void {
    for (const [id, units] of lease.holdings) {
      const state = this.#buckets.get(id);
      if (state) this.#buckets.set(id, { ...state, inFlight: Math.max(0, state.inFlight - units) });
    }
  }

  #expireLeases(now: number): void {
    for (const [leaseId, lease] of this.#leases) {
      if (lease.expiresAt > now) continue;
      this.#leases.delete(leaseId);
      this.#release(lease);
    }
  }
}

/** Creates the default in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
