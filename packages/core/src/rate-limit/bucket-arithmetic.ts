import type {
  BlockRecord,
  BucketDemand,
  BucketObservation,
  BucketState,
  BucketWindow,
  LogEntry,
} from './bucket.ts';
import type { BlockInput } from './rate-limit-store.ts';

/**
 * The arithmetic of one bucket, as pure functions over stored state: every store applies
 * them through the one planner (`store-planner.ts`; the Redis store runs the same steps in
 * Lua). Each function returns a new state and never changes its argument.
 */

/** Most entries a sliding window's log keeps; beyond it the two oldest merge (see {@link pushLog}). */
export const logCapacity = 64;

/** A bucket with nothing known yet. */
export function emptyBucket(key: BucketState | BucketDemand | BucketObservation, now: number): BucketState {
  return {
    id: key.id,
    scope: key.scope,
    kind: key.kind,
    window: key.window,
    source: key.source,
    limit: null,
    remaining: null,
    resetAt: null,
    windowMs: null,
    log: [],
    runStart: 0,
    inFlight: 0,
    updatedAt: now,
  };
}

/** Whether a bucket is a sliding window ("at most `limit` in any `windowMs`"). */
export function isSliding(state: BucketState): boolean {
  return state.windowMs !== null && state.kind !== 'concurrency';
}

/**
 * Finds or opens the bucket a demand names: created, refilled past its reset, resized to the
 * demand's limit, and (sliding) its log trimmed to the window.
 */
export function prepareBucket(
  known: BucketState | undefined,
  demand: BucketDemand,
  now: number,
): BucketState {
  if (!known) {
    const state = emptyBucket(demand, now);
    state.limit = demand.limit ?? null;
    if (demand.windowMs !== undefined && demand.kind !== 'concurrency') {
      state.windowMs = demand.windowMs;
      return state;
    }
    state.remaining = demand.limit ?? null;
    state.resetAt =
      demand.limit !== undefined && demand.kind !== 'concurrency' ? (demand.nextResetAt ?? null) : null;
    if (state.resetAt !== null) state.resetGuessed = true;
    return state;
  }
  // States are never changed in place (every step returns a new one), so the log is shared.
  const state: BucketState = { ...known };
  // A demand's window applies to what it configures (manual limits, a history's span); a
  // learnt window stays as it was learnt, and the history only keeps at least the demand's span.
  if (demand.windowMs !== undefined && state.kind !== 'concurrency' && state.learnt === undefined) {
    if (state.windowMs === null) {
      state.remaining = null;
      state.resetAt = null;
    }
    state.windowMs = demand.windowMs;
  }
  if (isSliding(state)) {
    const keep = Math.max(state.windowMs ?? 0, demand.windowMs ?? 0);
    state.log = pruneLog(state.log, now, keep);
    if (demand.limit !== undefined && demand.limit !== state.limit) {
      state.limit = demand.limit;
      state.updatedAt = now;
    }
    return state;
  }
  if (state.resetAt !== null && state.resetAt <= now) {
    state.remaining = state.limit;
    state.resetAt = state.limit !== null ? (demand.nextResetAt ?? null) : null;
    state.resetGuessed = state.resetAt !== null ? true : undefined;
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
      if (state.resetAt === null) {
        state.resetAt = demand.nextResetAt ?? null;
        if (state.resetAt !== null) state.resetGuessed = true;
      }
    }
    state.updatedAt = now;
  }
  return state;
}

/** Whether a bucket can give `cost` units now. */
export function admits(state: BucketState, cost: number, now: number): boolean {
  if (state.kind === 'concurrency') return state.limit === null || state.inFlight + cost <= state.limit;
  if (isSliding(state)) {
    return state.limit === null || usedInWindow(state.log, now, state.windowMs!) + cost <= state.limit;
  }
  return state.remaining === null || state.remaining >= cost;
}

/** Takes `cost` units: into `inFlight`, and from `remaining` (fixed) or into the log (sliding). */
export function takeUnits(state: BucketState, cost: number, now: number): BucketState {
  if (isSliding(state)) {
    return { ...state, log: pushLog(state.log, now, cost), inFlight: state.inFlight + cost, updatedAt: now };
  }
  return {
    ...state,
    remaining:
      state.kind !== 'concurrency' && state.remaining !== null ? state.remaining - cost : state.remaining,
    inFlight: state.inFlight + cost,
    updatedAt: now,
  };
}

/** How far apart two resets may be and still describe the same window (clock and latency jitter). */
function rollTolerance(window: BucketWindow): number {
  return window === 'second' ? 100 : 1_000;
}

/**
 * Applies what a response said about a fixed bucket (created when unknown). A response's
 * `remaining` is a snapshot from when that request reached upstream, so within one window it
 * may lower the stored count but never raise it: `used = limit - remaining` only grows. It
 * replaces the stored count (less what requests still hold in flight) only when the window has
 * demonstrably rolled over: a reset later than the stored one, the stored window passed, a
 * new limit, or a stored window that was only the engine's guess.
 */
export function applyObservation(
  known: BucketState | undefined,
  observation: BucketObservation,
  now: number,
): BucketState {
  const state: BucketState = known ? { ...known } : emptyBucket(observation, now);
  const rolledOver =
    state.remaining === null ||
    state.resetAt === null ||
    state.resetAt <= now ||
    // The stored window is the engine's guess: the provider's own count and reset replace it.
    state.resetGuessed === true ||
    (observation.resetAt !== undefined &&
      observation.resetAt > state.resetAt + rollTolerance(state.window)) ||
    (observation.limit !== undefined && state.limit !== null && observation.limit !== state.limit);
  if (observation.limit !== undefined) state.limit = observation.limit;
  if (observation.remaining !== undefined) {
    const seen = Math.max(0, observation.remaining - state.inFlight);
    state.remaining = rolledOver || state.remaining === null ? seen : Math.min(state.remaining, seen);
  }
  if (observation.resetAt !== undefined && (rolledOver || state.resetAt === null)) {
    state.resetAt = observation.resetAt;
    state.resetGuessed = undefined;
  } else if (observation.remaining !== undefined && state.resetAt !== null && state.resetAt <= now) {
    // A count for a new window whose reset the answer does not give: it holds until told otherwise.
    state.resetAt = null;
  }
  state.updatedAt = now;
  return state;
}

/** Gives back `reserved - used` units (token estimates reconciled with real usage), within 0 and the limit. */
export function refundUnits(state: BucketState, reserved: number, used: number, now: number): BucketState {
  if (state.kind === 'concurrency' || state.remaining === null || isSliding(state)) return state;
  const ceiling = state.limit ?? Number.POSITIVE_INFINITY;
  return {
    ...state,
    remaining: Math.max(0, Math.min(ceiling, state.remaining + reserved - used)),
    updatedAt: now,
  };
}

/**
 * How a bucket reads at `now`: a fixed window past its reset is full again (or unknown without
 * a limit); a sliding window shows what its log leaves, and when its oldest units leave.
 */
export function currentView(state: BucketState, now: number): BucketState {
  if (isSliding(state)) {
    const windowMs = state.windowMs!;
    const log = state.log.filter((entry) => entry.at > now - windowMs);
    const used = log.reduce((sum, entry) => sum + entry.units, 0);
    return {
      ...state,
      log,
      remaining: state.limit === null ? null : Math.max(0, state.limit - used),
      resetAt: log.length > 0 ? log[0]!.at + windowMs : null,
    };
  }
  if (state.resetAt === null || state.resetAt > now) return { ...state, log: [...state.log] };
  return { ...state, log: [...state.log], remaining: state.limit, resetAt: null, resetGuessed: undefined };
}

/**
 * The view of a bucket that refused `cost` units: as {@link currentView}, with `resetAt` the
 * time the cost fits again when that is known.
 */
export function refusedView(state: BucketState, cost: number, now: number): BucketState {
  const view = currentView(state, now);
  if (isSliding(state) && state.limit !== null) {
    view.resetAt = freesAt(state.log, state.windowMs!, state.limit, cost, now);
  }
  return view;
}

/** Units a log holds in the window ending now: entries admitted after `now - windowMs`. */
export function usedInWindow(log: readonly LogEntry[], now: number, windowMs: number): number {
  let used = 0;
  for (const entry of log) if (entry.at > now - windowMs) used += entry.units;
  return used;
}

/**
 * When a sliding window can give `cost` units again: the time enough of its oldest entries have
 * left it, or `null` when it never can (a cost above the limit).
 */
export function freesAt(
  log: readonly LogEntry[],
  windowMs: number,
  limit: number,
  cost: number,
  now: number,
): number | null {
  if (cost > limit) return null;
  const inside = log.filter((entry) => entry.at > now - windowMs);
  let used = inside.reduce((sum, entry) => sum + entry.units, 0);
  if (used + cost <= limit) return now;
  for (const entry of inside) {
    used -= entry.units;
    if (used + cost <= limit) return entry.at + windowMs;
  }
  return now;
}

/** Drops the entries that left a window of `keepMs` before `now` (the same log when none did). */
export function pruneLog(log: readonly LogEntry[], now: number, keepMs: number): readonly LogEntry[] {
  let first = 0;
  while (first < log.length && log[first]!.at <= now - keepMs) first++;
  return first === 0 ? log : log.slice(first);
}

/**
 * Adds an admission to a log, kept in time order. Past {@link logCapacity} entries the two
 * neighbours closest in time merge into one at the younger one's time: the merged units then
 * count for a little longer than they should, never for less, so the window stays safe at a
 * fixed size and its time resolution stays even.
 */
export function pushLog(log: readonly LogEntry[], at: number, units: number): LogEntry[] {
  const next = [...log];
  let index = next.length;
  while (index > 0 && next[index - 1]!.at > at) index--;
  next.splice(index, 0, { at, units });
  while (next.length > logCapacity) {
    let closest = 0;
    for (let position = 1; position < next.length - 1; position++) {
      if (next[position + 1]!.at - next[position]!.at < next[closest + 1]!.at - next[closest]!.at) {
        closest = position;
      }
    }
    const older = next[closest]!;
    const younger = next[closest + 1]!;
    next.splice(closest, 2, { at: younger.at, units: older.units + younger.units });
  }
  return next;
}

/** Takes `units` back from the entry admitted at `at` (a request the provider refused, so did not count). */
export function takeBack(log: readonly LogEntry[], at: number, units: number): LogEntry[] {
  const next = log.map((entry) => ({ ...entry }));
  let left = units;
  for (const entry of next) {
    if (left <= 0) break;
    if (entry.at < at) continue;
    const taken = Math.min(entry.units, left);
    entry.units -= taken;
    left -= taken;
  }
  return next.filter((entry) => entry.units > 0);
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
    release: input.state === 'circuit-open' ? 'probe' : (input.release ?? 'probe'),
    probeUntil: null,
  };
}
