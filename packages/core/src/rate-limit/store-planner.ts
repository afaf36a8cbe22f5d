import type {
  BlockRecord,
  BucketObservation,
  BucketState,
  FailureRecord,
  LearntLimit,
  LogEntry,
} from './bucket.ts';
import {
  admits,
  applyObservation,
  currentView,
  emptyBucket,
  freesAt,
  isSliding,
  nextBlock,
  prepareBucket,
  pushLog,
  refundUnits,
  refusedView,
  takeBack,
  takeUnits,
  usedInWindow,
} from './bucket-arithmetic.ts';
import type {
  AcquireInput,
  AcquireResult,
  BlockInput,
  LearnLimit,
  RateLimitStore,
  RefuseInput,
  RefuseResult,
  SettleBucket,
  SettleInput,
  StoreSnapshot,
  ViewInput,
} from './rate-limit-store.ts';

/**
 * The one implementation of the `RateLimitStore` contract for stores written in TypeScript.
 * Each `plan*` function runs one store operation against {@link StoreTables}, a small
 * load/save interface over whatever holds the state (maps in memory, rows in SQLite). The
 * store only has to run each call atomically: in one JavaScript turn, or in one transaction.
 */

/** A reservation as a store keeps it. */
export interface LeaseRecord {
  id: string;
  /** When it was taken (epoch ms): where its units sit in sliding logs. */
  at: number;
  expiresAt: number;
  /** Bucket id → units held in flight. */
  holdings: Array<[bucketId: string, units: number]>;
}

/** What the planner reads and writes; every call happens inside one atomic operation. */
export interface StoreTables {
  bucket(id: string): BucketState | undefined;
  saveBucket(state: BucketState): void;
  deleteBucket(id: string): void;
  block(scope: string): BlockRecord | undefined;
  saveBlock(block: BlockRecord): void;
  deleteBlock(scope: string): void;
  failures(scope: string): FailureRecord | undefined;
  saveFailures(scope: string, record: FailureRecord): void;
  deleteFailures(scope: string): void;
  lease(id: string): LeaseRecord | undefined;
  saveLease(lease: LeaseRecord): void;
  deleteLease(id: string): void;
  /** Leases whose expiry is at or before `now`. */
  expiredLeases(now: number): LeaseRecord[];
  /** Every bucket, block and failure scope, for snapshots and resets. */
  allBuckets(): BucketState[];
  allBlocks(): BlockRecord[];
  allFailureScopes(): string[];
}

/** A bucket unused this long (nothing in flight, nothing left to count) is forgotten. */
export const idleBucketMs = 3_600_000;
/** A learnt limit is kept this long after its last use. */
export const idleLearntMs = 86_400_000;

export function planAcquire(tables: StoreTables, input: AcquireInput): AcquireResult {
  const { now } = input;
  expireLeases(tables, now);
  const probes: BlockRecord[] = [];
  for (const scope of input.blockScopes) {
    const block = tables.block(scope);
    if (!block) continue;
    if (block.until > now) return { ok: false, blocked: { ...block } };
    if (block.release === 'probe') {
      if (block.probeUntil !== null && block.probeUntil > now) return { ok: false, blocked: { ...block } };
      probes.push(block);
    } else tables.deleteBlock(scope);
  }
  const prepared = new Map<string, BucketState>();
  for (const demand of input.buckets) {
    const known = prepared.get(demand.id) ?? tables.bucket(demand.id);
    if (known === undefined && demand.ifPresent === true) continue;
    const state = prepareBucket(known, demand, now);
    prepared.set(demand.id, state);
    if (!admits(state, demand.cost, now)) {
      // Creating, refilling and resizing stand even when the attempt is refused.
      for (const changed of prepared.values()) tables.saveBucket(changed);
      return { ok: false, bucket: refusedView(state, demand.cost, now), cost: demand.cost };
    }
  }
  for (const probe of probes) tables.saveBlock({ ...probe, probeUntil: input.probeUntil });
  const holdings = new Map<string, number>();
  for (const demand of input.buckets) {
    const state = prepared.get(demand.id);
    if (state === undefined) continue;
    prepared.set(demand.id, takeUnits(state, demand.cost, now));
    holdings.set(demand.id, (holdings.get(demand.id) ?? 0) + demand.cost);
  }
  for (const state of prepared.values()) tables.saveBucket(state);
  tables.saveLease({ id: input.leaseId, at: now, expiresAt: input.leaseExpiresAt, holdings: [...holdings] });
  return { ok: true, probes: probes.map((probe) => probe.scope) };
}

export function planSettle(tables: StoreTables, input: SettleInput): void {
  const { now } = input;
  const lease = takeLease(tables, input.leaseId);
  // Leases that have lapsed no longer hold anything an observation should subtract.
  expireLeases(tables, now);
  const held = new Set(lease?.holdings.map(([id]) => id));
  applySettled(tables, input.buckets, now, held);
  if (input.answered === true && lease) {
    for (const [id] of lease.holdings) {
      const state = tables.bucket(id);
      if (state?.learnt === undefined || !isSliding(state) || state.limit === null) continue;
      if (usedInWindow(state.log, now, state.windowMs!) <= state.limit) continue;
      // The provider answered more than the learnt limit allows: it was wrong.
      tables.saveBucket({ ...state, limit: null, remaining: null, learnt: undefined, updatedAt: now });
    }
  }
  for (const scope of input.clearFailures ?? []) tables.deleteFailures(scope);
  for (const scope of input.unblock ?? []) tables.deleteBlock(scope);
}

export function planRefuse(tables: StoreTables, input: RefuseInput): RefuseResult {
  const { now } = input;
  const lease = takeLease(tables, input.leaseId);
  const refusedAt = lease?.at ?? now;
  // A provider does not count the requests it refuses: their units go back.
  for (const [id, units] of lease?.holdings ?? []) {
    const state = tables.bucket(id);
    if (!state || state.kind === 'concurrency') continue;
    if (isSliding(state)) tables.saveBucket({ ...state, log: takeBack(state.log, refusedAt, units) });
    else if (state.remaining !== null) tables.saveBucket(refundUnits(state, units, 0, now));
  }
  expireLeases(tables, now);
  applySettled(tables, input.buckets, now, new Set());

  const history = tables.bucket(input.historyId);
  const learnt: BucketState[] = [];
  let opensAt: number | undefined;
  for (const limit of input.limits) {
    const known = limit.bucket.id === input.historyId ? history : tables.bucket(limit.bucket.id);
    const told = limit.resetAt === undefined ? { ...limit, resetAt: input.block.until } : limit;
    const state = learnLimit(known, history, told, {
      now,
      refusedAt,
      defaultWindowMs: input.defaultWindowMs,
    });
    if (!state) continue;
    tables.saveBucket(state);
    learnt.push(state);
    if (isSliding(state)) {
      const opens = freesAt(state.log, state.windowMs!, state.limit!, 1, now) ?? now + state.windowMs!;
      opensAt = opensAt === undefined ? opens : Math.max(opensAt, opens);
    }
  }
  const historyWindow = history?.learnt !== undefined ? history.windowMs : null;
  const until = input.block.until ?? opensAt ?? now + (historyWindow ?? input.defaultWindowMs);
  const blockInput: BlockInput = {
    now,
    scope: input.block.scope,
    state: input.block.state,
    reason: input.block.reason,
    until,
    release:
      learnt.some((state) => state.limit !== null) || describesEnd(input.buckets, until) ? 'all' : 'probe',
  };
  const existing = tables.block(input.block.scope);
  const block = nextBlock(existing, blockInput);
  if (block) tables.saveBlock(block);
  // The next run starts when the block ends: a later 429 learns from what was sent after it.
  const runStart = (block ?? existing)!.until;
  for (const id of new Set([input.historyId, ...learnt.map((state) => state.id)])) {
    const state = tables.bucket(id);
    if (state && isSliding(state) && state.runStart < runStart) tables.saveBucket({ ...state, runStart });
  }
  return {
    block: { ...(block ?? existing)! },
    learnt: learnt.map((state) => currentView(tables.bucket(state.id) ?? state, now)),
  };
}

/**
 * One learnt limit: `limit` units in a window. The units are the limit the provider stated,
 * else those counted in the current run (the requests sent since the last block ended, only
 * those within the window known or assumed, or up to the reset if that is longer, sliding or
 * opened at the first request), else the limit learnt before. The window is the one the
 * provider stated, else the time from the request the provider still counted (the `limit`-th most recent before the
 * refusal) to the reset it gave, else the one learnt before, else the assumed one. Returns
 * undefined when there is nothing to learn: a refusal older than the current run, or nothing
 * counted or known.
 */
function learnLimit(
  known: BucketState | undefined,
  history: BucketState | undefined,
  limit: LearnLimit,
  context: { now: number; refusedAt: number; defaultWindowMs: number },
): BucketState | undefined {
  const { now, refusedAt } = context;
  const own = known !== undefined && isSliding(known) ? known : undefined;
  const source = own ?? history;
  const runStart = source?.runStart ?? 0;
  if (refusedAt < runStart) return undefined;
  const before = (source?.log ?? []).filter((entry) => entry.at <= refusedAt);
  const state: BucketState = known ? { ...known, log: [...known.log] } : emptyBucket(limit.bucket, now);
  const learntUnits = state.learnt !== undefined ? state.limit : null;
  const learntWindow = state.learnt !== undefined && state.windowMs !== null ? state.windowMs : undefined;
  // What is counted is what the provider accepted in the window known or assumed before the
  // refusal, not the whole run (a run can span windows: a daily quota that ran out blocks
  // nothing, so the run goes on across it). A reset only lengthens that window: the provider
  // counts the refused request's window until then. A window that slides and one the provider
  // opens at the first request after the last one closed (NVIDIA) count differently; the
  // smaller count is the one both allow.
  const run = before.filter((entry) => entry.at >= runStart);
  const assumedWindow = limit.windowMs ?? learntWindow ?? context.defaultWindowMs;
  const countWindow =
    limit.resetAt === undefined ? assumedWindow : Math.max(assumedWindow, limit.resetAt - refusedAt);
  const counted = Math.min(
    unitsSince(run, refusedAt - countWindow),
    unitsInOpenedWindow(before, countWindow),
  );
  const countable = limit.bucket.kind === 'requests' || own !== undefined;
  const units = limit.limit ?? (countable && counted > 0 ? counted : (learntUnits ?? 0));
  if (!(units > 0)) return undefined;
  const evidence = limit.evidence ?? (limit.limit === undefined ? 'count' : 'message');

  if (limit.fixed === true) {
    if (limit.resetAt === undefined) return undefined;
    return {
      ...state,
      windowMs: null,
      log: [],
      limit: units,
      remaining: 0,
      resetAt: limit.resetAt,
      learnt: learntOf(evidence, limit, now, `${units} ${limit.bucket.kind} until the reset`),
      updatedAt: now,
    };
  }
  // Without a request to measure from, the refusal itself is the window's last moment known.
  const anchorAt = (countable ? anchorOf(before, units) : run[0])?.at ?? refusedAt;
  const measured =
    limit.resetAt !== undefined && limit.resetAt > anchorAt ? limit.resetAt - anchorAt : undefined;
  const windowMs =
    limit.windowMs ??
    (measured !== undefined
      ? units === learntUnits
        ? Math.max(measured, learntWindow ?? 0)
        : measured
      : undefined) ??
    learntWindow ??
    context.defaultWindowMs + arrivalAllowance(context.defaultWindowMs);
  const how =
    limit.windowMs !== undefined
      ? 'the window as stated'
      : measured !== undefined
        ? 'window from the oldest request it still counted to the reset'
        : learntWindow !== undefined
          ? 'window as learnt before'
          : `window assumed (no reset given; +${formatMs(arrivalAllowance(context.defaultWindowMs))} for arrival)`;
  let log: readonly LogEntry[] = own
    ? own.log
    : limit.bucket.kind === 'requests'
      ? run.map((entry) => ({ ...entry }))
      : [];
  // What the provider counted that this log does not show (other clients, other replicas,
  // requests before the history began) sits at the refusal: the window is full, as it said.
  const missing = units - usedInWindow(log, now, windowMs);
  if (missing > 0 && evidence !== 'count') log = pushLog(log, refusedAt, missing);
  const counting =
    evidence === 'count' ? `${units} accepted before the 429` : `${evidenceLabel[evidence]} stated ${units}`;
  return {
    ...state,
    windowMs,
    log,
    limit: units,
    remaining: null,
    resetAt: null,
    learnt: learntOf(
      evidence,
      limit,
      now,
      `${units} ${limit.bucket.kind} in any ${formatMs(windowMs)} (${counting}; ${how})`,
    ),
    updatedAt: now,
  };
}

/**
 * What an assumed window is lengthened by: the log dates a request when it was sent, but a
 * provider dates the window it opens from the request's arrival, which can be later (a new
 * connection, a slow first byte), so a window dated from the send would close early.
 * 2 % of the window, at most a second.
 */
function arrivalAllowance(windowMs: number): number {
  return Math.min(1_000, Math.round(windowMs / 50));
}

/** The units of the entries after `since`. */
function unitsSince(entries: readonly LogEntry[], since: number): number {
  let units = 0;
  for (const entry of entries) if (entry.at > since) units += entry.units;
  return units;
}

/**
 * The units in the last of the windows of `windowMs` that open at the first request after the
 * previous one closed: what a provider that anchors its window to the first request counts.
 */
function unitsInOpenedWindow(entries: readonly LogEntry[], windowMs: number): number {
  let opened = -Infinity;
  let units = 0;
  for (const entry of entries) {
    if (entry.at >= opened + windowMs) {
      opened = entry.at;
      units = 0;
    }
    units += entry.units;
  }
  return units;
}

/** The entry at which `units`, counted back from the newest, are reached (else the oldest). */
function anchorOf(entries: readonly LogEntry[], units: number): LogEntry | undefined {
  let counted = 0;
  for (let index = entries.length - 1; index >= 0; index--) {
    counted += entries[index]!.units;
    if (counted >= units) return entries[index];
  }
  return entries[0];
}

/**
 * Whether the refusal's own headers describe the window that ran out: a bucket with its limit,
 * nothing left, and a reset no later than the block's end. Its capacity is then known when the
 * block ends (it refills to that limit), so the block may release all that is known at once.
 */
function describesEnd(settled: SettleBucket[], until: number): boolean {
  return settled.some(
    ({ observed }) =>
      observed?.limit !== undefined &&
      observed.remaining === 0 &&
      observed.resetAt !== undefined &&
      observed.resetAt <= until + 1_000,
  );
}

const evidenceLabel = {
  header: 'a 429 header',
  body: 'the 429 body',
  message: 'the 429 message',
  count: 'counting',
};

function learntOf(
  evidence: LearntLimit['evidence'],
  limit: LearnLimit,
  now: number,
  note: string,
): LearntLimit {
  return { evidence, named: limit.named, at: now, note };
}

function formatMs(ms: number): string {
  return ms < 1_000
    ? `${Math.round(ms)}ms`
    : ms < 120_000
      ? `${Math.round(ms / 100) / 10}s`
      : `${Math.round(ms / 60_000)}m`;
}

export function planObserve(
  tables: StoreTables,
  input: { now: number; observations: BucketObservation[] },
): void {
  expireLeases(tables, input.now);
  for (const observation of input.observations) applyOne(tables, observation, input.now);
}

export function planBlock(tables: StoreTables, input: BlockInput): void {
  const block = nextBlock(tables.block(input.scope), input);
  if (block) tables.saveBlock(block);
}

export function planUnblock(tables: StoreTables, input: { scopes: string[] }): void {
  for (const scope of input.scopes) tables.deleteBlock(scope);
}

export function planRecordFailure(tables: StoreTables, input: { now: number; scope: string }): FailureRecord {
  const existing = tables.failures(input.scope);
  const record = existing
    ? { count: existing.count + 1, since: existing.since }
    : { count: 1, since: input.now };
  tables.saveFailures(input.scope, record);
  return { ...record };
}

export function planClearFailures(tables: StoreTables, input: { scope: string }): void {
  tables.deleteFailures(input.scope);
}

export function planView(tables: StoreTables, input: ViewInput): StoreSnapshot {
  expireLeases(tables, input.now);
  const buckets: BucketState[] = [];
  for (const id of new Set(input.bucketIds)) {
    const state = tables.bucket(id);
    if (state) buckets.push(currentView(state, input.now));
  }
  const blocks: BlockRecord[] = [];
  for (const scope of new Set(input.scopes)) {
    const block = tables.block(scope);
    if (block && shown(block, input.now)) blocks.push({ ...block });
  }
  return { buckets, blocks };
}

/** Everything held now; forgets buckets and blocks idle past their time first. */
export function planSnapshot(tables: StoreTables, input: { now: number }): StoreSnapshot {
  const { now } = input;
  expireLeases(tables, now);
  const buckets: BucketState[] = [];
  for (const state of tables.allBuckets()) {
    if (isIdle(state, now)) tables.deleteBucket(state.id);
    else buckets.push(currentView(state, now));
  }
  const blocks: BlockRecord[] = [];
  for (const block of tables.allBlocks()) {
    if (block.until <= now - idleBucketMs) tables.deleteBlock(block.scope);
    else if (shown(block, now)) blocks.push({ ...block });
  }
  buckets.sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  blocks.sort((left, right) => (left.scope < right.scope ? -1 : left.scope > right.scope ? 1 : 0));
  return { buckets, blocks };
}

export function planReset(tables: StoreTables, input: { scopePrefix?: string | undefined }): void {
  const prefix = input.scopePrefix ?? '';
  for (const state of tables.allBuckets()) {
    if (!state.scope.startsWith(prefix)) continue;
    if (state.inFlight === 0) tables.deleteBucket(state.id);
    else
      tables.saveBucket({
        ...state,
        remaining: isSliding(state) ? null : state.limit,
        resetAt: null,
        log: [],
        runStart: 0,
        learnt: undefined,
        limit: state.learnt !== undefined ? null : state.limit,
      });
  }
  for (const block of tables.allBlocks()) if (block.scope.startsWith(prefix)) tables.deleteBlock(block.scope);
  for (const scope of tables.allFailureScopes()) if (scope.startsWith(prefix)) tables.deleteFailures(scope);
}

/** Whether a bucket can be forgotten: nothing in flight, nothing counted, untouched for long. */
export function isIdle(state: BucketState, now: number): boolean {
  if (state.inFlight > 0) return false;
  const quiet = state.learnt !== undefined ? idleLearntMs : idleBucketMs;
  if (state.updatedAt > now - quiet) return false;
  if (isSliding(state)) return usedInWindow(state.log, now, state.windowMs!) === 0;
  return state.resetAt === null || state.resetAt <= now;
}

/** A block shows while it runs, and after it ends while it waits for (or holds) its probe. */
function shown(block: BlockRecord, now: number): boolean {
  return block.until > now || block.release === 'probe';
}

function takeLease(tables: StoreTables, leaseId: string): LeaseRecord | undefined {
  const lease = tables.lease(leaseId);
  if (!lease) return undefined;
  tables.deleteLease(leaseId);
  release(tables, lease);
  return lease;
}

function release(tables: StoreTables, lease: LeaseRecord): void {
  for (const [id, units] of lease.holdings) {
    const state = tables.bucket(id);
    if (state) tables.saveBucket({ ...state, inFlight: Math.max(0, state.inFlight - units) });
  }
}

function expireLeases(tables: StoreTables, now: number): void {
  for (const lease of tables.expiredLeases(now)) {
    tables.deleteLease(lease.id);
    release(tables, lease);
  }
}

function applyOne(tables: StoreTables, observation: BucketObservation, now: number): void {
  tables.saveBucket(applyObservation(tables.bucket(observation.id), observation, now));
}

/** Observations first, then token refunds for buckets the lease held that no header described. */
function applySettled(tables: StoreTables, settled: SettleBucket[], now: number, held: Set<string>): void {
  for (const bucket of settled) {
    if (bucket.observed) applyOne(tables, bucket.observed, now);
    if (bucket.observed?.remaining !== undefined || bucket.used === undefined) continue;
    const state = tables.bucket(bucket.id);
    if (state && held.has(bucket.id))
      tables.saveBucket(refundUnits(state, bucket.reserved, bucket.used, now));
  }
}

/**
 * A `RateLimitStore` whose every operation is the planner's, run atomically by {@link run}: the
 * memory store runs it in one JavaScript turn, the SQLite store in one transaction. Subclasses
 * give the tables, the atomic run, and `close()`.
 */
export abstract class PlannedStore implements RateLimitStore {
  /** Runs one operation against the tables, atomically (no other operation interleaves). */
  protected abstract run<T>(operation: (tables: StoreTables) => T): T;

  abstract close(): Promise<void>;

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    return this.run((tables) => planAcquire(tables, input));
  }

  async settle(input: SettleInput): Promise<void> {
    this.run((tables) => planSettle(tables, input));
  }

  async refuse(input: RefuseInput): Promise<RefuseResult> {
    return this.run((tables) => planRefuse(tables, input));
  }

  async observe(input: { now: number; observations: BucketObservation[] }): Promise<void> {
    this.run((tables) => planObserve(tables, input));
  }

  async block(input: BlockInput): Promise<void> {
    this.run((tables) => planBlock(tables, input));
  }

  async unblock(input: { scopes: string[] }): Promise<void> {
    this.run((tables) => planUnblock(tables, input));
  }

  async recordFailure(input: { now: number; scope: string }): Promise<FailureRecord> {
    return this.run((tables) => planRecordFailure(tables, input));
  }

  async clearFailures(input: { scope: string }): Promise<void> {
    this.run((tables) => planClearFailures(tables, input));
  }

  async view(input: ViewInput): Promise<StoreSnapshot> {
    return this.run((tables) => planView(tables, input));
  }

  async snapshot(input: { now: number }): Promise<StoreSnapshot> {
    return this.run((tables) => planSnapshot(tables, input));
  }

  async reset(input: { scopePrefix?: string | undefined } = {}): Promise<void> {
    this.run((tables) => planReset(tables, input));
  }
}
