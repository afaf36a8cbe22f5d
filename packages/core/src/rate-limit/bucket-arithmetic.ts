import type { BlockRecord, BucketDemand, BucketObservation, BucketState } from './bucket.ts';
import type { BlockInput } from './rate-limit-store.ts';

/**
 * The arithmetic every store applies to a bucket, and its rule for a new block, as pure
 * functions over stored state, so that the memory and SQLite stores share one definition of the contract in
 * `rate-limit-store.ts` (the Redis store runs the same steps in Lua). Each function
 * returns a new state and never changes its argument.
 */

/** Finds or opens the bucket a demand names: created, refilled past its reset, and resized to the demand's limit. */
export function prepareBucket(
  known: BucketState | undefined,
  demand: BucketDemand,
  now: number,
): BucketState {
  if (!known) {
    return {
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
  }
  const state = { ...known };
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

/** Whether a bucket can give `cost` units now. */
export function admits(state: BucketState, cost: number): boolean {
  if (state.kind === 'concurrency') return state.limit === null || state.inFlight + cost <= state.limit;
  return state.remaining === null || state.remaining >= cost;
}

/** Takes `cost` units: from `remaining` (not for concurrency) into `inFlight`. */
export function takeUnits(state: BucketState, cost: number, now: number): BucketState {
  return {
    ...state,
    remaining:
      state.kind !== 'concurrency' && state.remaining !== null ? state.remaining - cost : state.remaining,
    inFlight: state.inFlight + cost,
    updatedAt: now,
  };
}

/**
 * Applies what a response said about a bucket (created when unknown): an observed
 * `remaining` replaces the stored one, less what requests still hold in flight.
 */
export function applyObservation(
  known: BucketState | undefined,
  observation: BucketObservation,
  now: number,
): BucketState {
  const state: BucketState = known
    ? { ...known }
    : {
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
  if (observation.limit !== undefined) state.limit = observation.limit;
  if (observation.remaining !== undefined)
    state.remaining = Math.max(0, observation.remaining - state.inFlight);
  if (observation.resetAt !== undefined) state.resetAt = observation.resetAt;
  state.updatedAt = now;
  return state;
}

/** Gives back `reserved - used` units (token estimates reconciled with real usage), within 0 and the limit. */
export function refundUnits(state: BucketState, reserved: number, used: number, now: number): BucketState {
  if (state.kind === 'concurrency' || state.remaining === null) return state;
  const ceiling = state.limit ?? Number.POSITIVE_INFINITY;
  return {
    ...state,
    remaining: Math.max(0, Math.min(ceiling, state.remaining + reserved - used)),
    updatedAt: now,
  };
}

/** How a bucket reads at `now`: past its reset it is full again (or unknown without a limit). */
export function currentView(state: BucketState, now: number): BucketState {
  if (state.resetAt === null || state.resetAt > now) return { ...state };
  return { ...state, remaining: state.limit, resetAt: null };
}

/**
 * The block to store for `input`, or `undefined` when the existing one stays: in `extend`
 * mode a block that ends later is kept (a minute cooldown never shortens a parked key).
 */
export function nextBlock(existing: BlockRecord | undefined, input: BlockInput): BlockRecord | undefined {
  if ((input.mode ?? 'extend') === 'extend' && existing !== undefined && existing.until > input.until) {
    return undefined;
  }
  return {
    scope: input.scope,
    state: input.state,
    until: input.until,
    reason: input.reason,
    since: input.now,
  };
}
