import type { BlockRecord, BucketDemand, BucketObservation, BucketState } from './bucket.ts';
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

/**
 * The default store: state in this process's memory. Each method runs without
 * an `await` inside, so each is atomic under JavaScript's single thread.
 */
export class MemoryStore implements RateLimitStore {
  readonly #buckets = new Map<string, BucketState>();
  readonly #blocks = new Map<string, BlockRecord>();
  readonly #failures = new Map<string, number>();
  readonly #leases = new Map<string, Lease>();

  async acquire(input: AcquireInput): Promise<AcquireResult> {
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
    const states: BucketState[] = [];
    for (const demand of input.buckets) {
      const state = this.#prepare(demand, input.now);
      states.push(state);
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
    input.buckets.forEach((demand, index) => {
      const state = states[index]!;
      if (state.kind !== 'concurrency' && state.remaining !== null) state.remaining -= demand.cost;
      state.inFlight += demand.cost;
      state.updatedAt = input.now;
      holdings.set(state.id, (holdings.get(state.id) ?? 0) + demand.cost);
    });
    this.#leases.set(input.leaseId, { expiresAt: input.leaseExpiresAt, holdings });
    return { ok: true, probe: probe !== undefined };
  }

  async settle(input: SettleInput): Promise<void> {
    const lease = this.#leases.get(input.leaseId);
    if (lease) {
      this.#leases.delete(input.leaseId);
      for (const [id, units] of lease.holdings) {
        const state = this.#buckets.get(id);
        if (state) state.inFlight = Math.max(0, state.inFlight - units);
      }
    }
    this.#expireLeases(input.now);
    for (const settled of input.buckets) {
      const state = this.#buckets.get(settled.id);
      if (!state) {
        if (settled.observed) this.#apply(settled.observed, input.now);
        continue;
      }
      if (settled.observed && settled.observed.remaining !== undefined) {
        this.#apply(settled.observed, input.now);
      } else {
        if (settled.observed) this.#apply(settled.observed, input.now);
        if (
          lease?.holdings.has(settled.id) &&
          settled.used !== undefined &&
          state.kind !== 'concurrency' &&
          state.remaining !== null
        ) {
          const refund = settled.reserved - settled.used;
          const ceiling = state.limit ?? Number.POSITIVE_INFINITY;
          state.remaining = Math.max(0, Math.min(ceiling, state.remaining + refund));
          state.updatedAt = input.now;
        }
      }
    }
  }

  async observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    this.#expireLeases(input.now);
    for (const observation of input.observations) this.#apply(observation, input.now);
  }

  async block(input: BlockInput): Promise<void> {
    const existing = this.#blocks.get(input.scope);
    const keepExisting =
      (input.mode ?? 'extend') === 'extend' && existing !== undefined && existing.until > input.until;
    if (keepExisting) return;
    this.#blocks.set(input.scope, {
      scope: input.scope,
      state: input.state,
      until: input.until,
      reason: input.reason,
      since: input.now,
    });
  }

  async unblock(input: { scopes: string[] }): Promise<void> {
    for (const scope of input.scopes) this.#blocks.delete(scope);
  }

  async recordFailure(input: { now: number; scope: string }): Promise<number> {
    const count = (this.#failures.get(input.scope) ?? 0) + 1;
    this.#failures.set(input.scope, count);
    return count;
  }

  async clearFailures(input: { scope: string }): Promise<void> {
    this.#failures.delete(input.scope);
  }

  async snapshot(input: { now: number }): Promise<StoreSnapshot> {
    this.#expireLeases(input.now);
    const buckets = [...this.#buckets.values()].map((state) => {
      const copy = { ...state };
      if (copy.resetAt !== null && copy.resetAt <= input.now) {
        copy.remaining = copy.limit;
        copy.resetAt = null;
      }
      return copy;
    });
    const blocks = [...this.#blocks.values()]
      .filter(
        (block) => block.until > input.now || block.state === 'circuit-open' || block.state === 'probing',
      )
      .map((block) => ({ ...block }));
    return { buckets, blocks };
  }

  async reset(input: { scopePrefix?: string | undefined } = {}): Promise<void> {
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

  /** Finds or creates the bucket for a demand, refilled and resized as the demand says. */
  #prepare(demand: BucketDemand, now: number): BucketState {
    let state = this.#buckets.get(demand.id);
    if (!state) {
      state = {
        id: demand.id,
        scope: demand.scope,
        kind: demand.kind,
        window: demand.window,
        source: demand.source,
        limit: demand.limit ?? null,
        remaining: demand.limit ?? null,
        resetAt:
          demand.limit !== undefined && demand.kind !== 'concurrency' ? (demand.nextResetAt ?? null) : null,
        inFlight: 0,
        updatedAt: now,
      };
      this.#buckets.set(demand.id, state);
      return state;
    }
    if (state.resetAt !== null && state.resetAt <= now) {
      state.remaining = state.limit;
      state.resetAt = state.limit !== null ? (demand.nextResetAt ?? null) : null;
      state.updatedAt = now;
    }
    if (demand.limit !== undefined && demand.limit !== state.limit) {
      const previous = state.limit;
      state.limit = demand.limit;
      if (state.kind !== 'concurrency') {
        state.remaining =
          state.remaining === null || previous === null
            ? demand.limit
            : Math.max(0, state.remaining + demand.limit - previous);
        if (state.resetAt === null) state.resetAt = demand.nextResetAt ?? null;
      }
      state.updatedAt = now;
    }
    return state;
  }

  #apply(observation: BucketObservation, now: number): void {
    let state = this.#buckets.get(observation.id);
    if (!state) {
      state = {
        id: observation.id,
        scope: observation.scope,
        kind: observation.kind,
        window: observation.window,
        source: observation.source,
        limit: null,
        remaining: null,
        resetAt: null,
        inFlight: 0,
        updatedAt: now,
      };
      this.#buckets.set(observation.id, state);
    }
    if (observation.limit !== undefined) state.limit = observation.limit;
    if (observation.remaining !== undefined) {
      state.remaining = Math.max(0, observation.remaining - state.inFlight);
    }
    if (observation.resetAt !== undefined) state.resetAt = observation.resetAt;
    state.updatedAt = now;
  }

  #expireLeases(now: number): void {
    for (const [leaseId, lease] of this.#leases) {
      if (lease.expiresAt > now) continue;
      this.#leases.delete(leaseId);
      for (const [id, units] of lease.holdings) {
        const state = this.#buckets.get(id);
        if (state) state.inFlight = Math.max(0, state.inFlight - units);
      }
    }
  }
}

function admits(state: BucketState, cost: number): boolean {
  if (state.kind === 'concurrency') return state.limit === null || state.inFlight + cost <= state.limit;
  return state.remaining === null || state.remaining >= cost;
}

/** Creates the default in-memory store. */
export function createMemoryStore(): RateLimitStore {
  return new MemoryStore();
}
