import type { EngineSettings } from '../config/resolve-config.ts';
import type { AttemptFailureKind, SkipKind } from '../events/request-record.ts';
import { formatWait } from '../providers/classify-failure.ts';
import { nextDailyReset, nextWindowEnd } from '../providers/daily-reset.ts';
import type { DailyResetClock, FailureClassification } from '../providers/provider-preset.ts';
import { readRateLimitHeaders } from '../providers/read-rate-limit-headers.ts';
import type { Candidate } from '../routing/candidate.ts';
import { failurePolicy } from '../routing/failure-policy.ts';
import {
  type BlockRecord,
  type BucketDemand,
  type BucketKind,
  type BucketObservation,
  type BucketState,
  type BucketWindow,
  bucketId,
  bucketKeyOf,
} from './bucket.ts';
import type { LearnLimit, RateLimitStore, SettleBucket, StoreSnapshot } from './rate-limit-store.ts';

/** A reservation taken before an attempt; settle it exactly once (or fail it). */
export interface Lease {
  id: string;
  candidate: Candidate;
  demands: BucketDemand[];
  /** When it was taken (epoch ms). */
  at: number;
  /** Scopes whose ended block this attempt probes: its answer decides for the requests behind it. */
  probes: string[];
}

/** How a skipped candidate stood: every skip kind but `unsuitable` (which the router decides). */
export type SkipState = Exclude<SkipKind, 'unsuitable'>;

/** Why a candidate was skipped without a request. */
export interface SkipReason {
  /** `rate-limited` skips count toward a 429 and the queue; others do not. */
  rateLimited: boolean;
  /** Human-readable reason for the trail. */
  reason: string;
  /** When the candidate may be available again (epoch ms), if known. */
  until: number | undefined;
  /** The block state, `exhausted` for a bucket with no room, `probing` while a probe decides. */
  state: SkipState;
}

/** The result of {@link RateLimitTracker.acquire}. */
export type AcquireOutcome = { ok: true; lease: Lease } | { ok: false; skip: SkipReason };

/** An attempt's failure, as the tracker turns it into state. */
export interface TrackedFailure {
  kind: AttemptFailureKind;
  reason: string;
  headers?: Headers | undefined;
  classification?: FailureClassification | undefined;
}

/** What the tracker needs from the engine. */
export interface TrackerOptions {
  store: RateLimitStore;
  settings: () => EngineSettings;
  now: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /** Called after every state change, for `ratelimit-change` events. */
  onChange?: ((scope: string) => void) | undefined;
  /** Called when an entry's circuit opens, with when it may be probed (background probes). */
  onCircuitOpen?: ((candidate: Candidate, until: number) => void) | undefined;
}

const windowLengthMs: Partial<Record<BucketWindow, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
};

const leaseLifetimeMs = 15 * 60_000;
const probeLifetimeMs = 60_000;
const parkedMs = 24 * 3_600_000;
const invalidKeyMs = 30 * 86_400_000;

/** The learnt buckets a candidate may have, besides its key + model's history (always kept). */
const learntKinds: ReadonlyArray<
  readonly [scope: 'key' | 'model', kind: 'requests' | 'tokens', window: 'rolling' | 'day']
> = [
  ['model', 'tokens', 'rolling'],
  ['model', 'requests', 'day'],
  ['model', 'tokens', 'day'],
  ['key', 'requests', 'rolling'],
  ['key', 'tokens', 'rolling'],
  ['key', 'requests', 'day'],
  ['key', 'tokens', 'day'],
];

/** Lease ids: unique to this process (replicas sharing a store each draw their own prefix), then a counter. */
const leasePrefix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}-`;
let leaseCounter = 0;

/**
 * Decides, before each attempt, whether a candidate can take a request, reserves its share of
 * every bucket, and turns each upstream answer into state changes: what headers said, what a
 * refusal taught, which scope to block, and the circuit breaker. All state lives in the
 * {@link RateLimitStore}; the tracker holds none.
 */
export class RateLimitTracker {
  readonly #options: TrackerOptions;
  readonly #shapes = new WeakMap<Candidate['entry'], Map<string, DemandShape[]>>();

  constructor(options: TrackerOptions) {
    this.#options = options;
  }

  /** The buckets an attempt must take from, given its estimated tokens. */
  demandsOf(candidate: Candidate, estimatedTokens: number): BucketDemand[] {
    const now = this.#options.now();
    const preset = candidate.entry.provider.preset;
    // Written out field by field: one object shape for every demand (the hot path).
    return this.#shapesOf(candidate).map((shape) => ({
      id: shape.id,
      scope: shape.scope,
      kind: shape.kind,
      window: shape.window,
      source: shape.source,
      limit: shape.limit,
      windowMs: shape.windowMs,
      ifPresent: shape.ifPresent,
      cost: shape.kind === 'tokens' ? estimatedTokens : 1,
      nextResetAt:
        shape.resetWindow === undefined
          ? undefined
          : nextReset(shape.resetWindow, now, preset.dailyReset ?? 'utc'),
    }));
  }

  /**
   * What a candidate's demands are, but for their cost and next reset: the same for every
   * request to that entry and key until the config changes (a new config resolves new entries),
   * so they are built once.
   */
  #shapesOf(candidate: Candidate): DemandShape[] {
    const { entry, scopes } = candidate;
    let byKey = this.#shapes.get(entry);
    if (!byKey) {
      byKey = new Map();
      this.#shapes.set(entry, byKey);
    }
    const known = byKey.get(candidate.key.fingerprint);
    if (known) return known;
    const preset = entry.provider.preset;
    const shapes = new Map<string, DemandShape>();
    const add = (shape: Omit<DemandShape, 'id'>) => {
      const id = bucketId(shape);
      shapes.set(id, { ...shape, id });
    };
    if (preset.rateLimited !== false) {
      for (const spec of preset.headerBuckets) {
        add({
          scope: spec.scope === 'key' ? scopes.key : scopes.model,
          kind: spec.kind,
          window: spec.window,
          source: 'header',
          resetWindow: spec.window,
        });
      }
      // The key + model's history: how many requests it accepted, and when, for learning.
      add({
        scope: scopes.model,
        kind: 'requests',
        window: 'rolling',
        source: 'learnt',
        windowMs: Math.max(this.#options.settings().cooldownDefaultMs, 60_000),
      });
      for (const [scope, kind, window] of learntKinds) {
        add({
          scope: scope === 'key' ? scopes.key : scopes.model,
          kind,
          window,
          source: 'learnt',
          ifPresent: true,
          resetWindow: window === 'day' ? 'day' : undefined,
        });
      }
    }
    const manual = (limits: ManualLimits, scope: string) => {
      const sliding = (kind: BucketKind, window: BucketWindow, limit: number | undefined) => {
        if (limit) add({ scope, kind, window, source: 'manual', limit, windowMs: windowLengthMs[window] });
      };
      const daily = (kind: BucketKind, limit: number | undefined) => {
        if (limit) add({ scope, kind, window: 'day', source: 'manual', limit, resetWindow: 'day' });
      };
      sliding('requests', 'minute', limits.requestsPerMinute);
      sliding('tokens', 'minute', limits.tokensPerMinute);
      daily('requests', limits.requestsPerDay);
      daily('tokens', limits.tokensPerDay);
      if (limits.concurrentRequests) {
        add({
          scope,
          kind: 'concurrency',
          window: 'none',
          source: 'manual',
          limit: limits.concurrentRequests,
        });
      }
    };
    const providerLimits = entry.provider.rateLimits;
    if (providerLimits) manual(providerLimits, providerLimits.scope === 'key' ? scopes.key : scopes.model);
    if (entry.rateLimits) manual(entry.rateLimits, scopes.model);
    const list = [...shapes.values()];
    byKey.set(candidate.key.fingerprint, list);
    return list;
  }

  /**
   * Reserves a candidate's share of every bucket, or says why it must be skipped. With
   * `blocksOnly` it takes from no bucket and only passes the blocks (a background probe that
   * spends no quota).
   */
  async acquire(
    candidate: Candidate,
    estimatedTokens: number,
    options: { blocksOnly?: boolean } = {},
  ): Promise<AcquireOutcome> {
    const now = this.#options.now();
    const demands = options.blocksOnly === true ? [] : this.demandsOf(candidate, estimatedTokens);
    const id = `${leasePrefix}${(++leaseCounter).toString(36)}`;
    const result = await this.#options.store.acquire({
      now,
      leaseId: id,
      leaseExpiresAt: now + leaseLifetimeMs,
      blockScopes: [candidate.scopes.key, candidate.scopes.model, candidate.scopes.entry],
      buckets: demands,
      probeUntil: now + probeLifetimeMs,
    });
    if (result.ok) return { ok: true, lease: { id, candidate, demands, at: now, probes: result.probes } };
    if ('blocked' in result) return { ok: false, skip: describeBlock(result.blocked, now) };
    return { ok: false, skip: describeBucket(result.bucket, result.cost, now) };
  }

  /**
   * Releases a reservation and records what the answer's headers said. `usedTokens`
   * reconciles token buckets the headers did not describe. A `success` also starts the
   * entry's failure count over (and, for a completed stream, its mid-stream failure count),
   * lifts the blocks the attempt probed, and checks its learnt limits, in one store call.
   */
  async settle(
    lease: Lease,
    answer: {
      headers?: Headers | undefined;
      usedTokens?: number | undefined;
      success?: 'answer' | 'stream' | undefined;
    },
  ): Promise<void> {
    const now = this.#options.now();
    const buckets = this.#settleBuckets(lease, answer.headers, answer.usedTokens);
    const entry = lease.candidate.scopes.entry;
    const success = answer.success !== undefined;
    await this.#options.store.settle({
      now,
      leaseId: lease.id,
      buckets,
      clearFailures: answer.success === 'stream' ? [entry, `${entry}#stream`] : success ? [entry] : undefined,
      unblock: success && lease.probes.length > 0 ? lease.probes : undefined,
      answered: success,
    });
    if (buckets.some((bucket) => bucket.observed) || (success && lease.probes.length > 0)) {
      this.#changed(lease.candidate.scopes.model);
    }
  }

  /**
   * Settles a failed attempt and turns its failure into the state change the failure policy
   * names: a refusal learns limits and blocks its scope, faults count toward the circuit, and
   * so on. Returns when the candidate is expected back for rate limits and quotas.
   */
  async fail(lease: Lease, failure: TrackedFailure): Promise<number | undefined> {
    const { candidate } = lease;
    const policy = failurePolicy[failure.kind];
    const classification: FailureClassification = failure.classification ?? {
      kind:
        failure.kind === 'timeout' || failure.kind === 'first-token-timeout' || failure.kind === 'stream'
          ? 'server'
          : failure.kind,
      reason: failure.reason,
      message: failure.reason,
    };
    const limited = policy.state === 'cooldown' || policy.state === 'exhausted';
    let until: number | undefined;
    let blocked: string | undefined;
    if (limited && candidate.entry.provider.preset.rateLimited !== false) {
      const refused = await this.#refuse(
        lease,
        failure.headers,
        classification,
        policy.state === 'exhausted',
      );
      until = refused.until;
      blocked = refused.scope;
    } else {
      await this.settle(lease, { headers: failure.headers });
      blocked = await this.#apply(lease, policy.state, classification, failure.reason);
    }
    // A probe whose failure did not block its scope again hands its turn to the next attempt.
    const faulted = policy.state === 'circuit' || policy.state === 'silent';
    for (const scope of lease.probes) {
      if (scope === blocked || (faulted && scope === candidate.scopes.entry)) continue;
      await this.#rearmProbe(scope, failure.reason);
    }
    if (blocked) this.#changed(blocked);
    return until;
  }

  /** A stream that broke after commit (already settled): a cooldown that escalates on repeats. */
  async streamFailed(candidate: Candidate, reason: string): Promise<void> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { store } = this.#options;
    const { count } = await store.recordFailure({ now, scope: `${candidate.scopes.entry}#stream` });
    const overThreshold = count - settings.midStreamFailureThreshold;
    const cooldown =
      overThreshold < 0
        ? settings.timeoutCooldownMs
        : Math.min(settings.midStreamCooldownMs * 2 ** overThreshold, settings.midStreamCooldownMaxMs);
    await store.block({
      now,
      scope: candidate.scopes.model,
      state: 'faulted',
      until: now + cooldown,
      reason: `${reason} (mid-stream failure ${count})`,
    });
    this.#changed(candidate.scopes.model);
  }

  /**
   * The candidates' buckets and blocks as they are now, and which buckets each candidate takes
   * from (for ordering by a chain's strategy).
   */
  async view(
    candidates: readonly Candidate[],
  ): Promise<{ snapshot: StoreSnapshot; bucketIds: Map<Candidate, string[]> }> {
    const bucketIds = new Map<Candidate, string[]>();
    const scopes: string[] = [];
    for (const candidate of candidates) {
      bucketIds.set(
        candidate,
        this.demandsOf(candidate, 0).map((demand) => demand.id),
      );
      scopes.push(candidate.scopes.key, candidate.scopes.model, candidate.scopes.entry);
    }
    const snapshot = await this.#options.store.view({
      now: this.#options.now(),
      bucketIds: [...bucketIds.values()].flat(),
      scopes,
    });
    return { snapshot, bucketIds };
  }

  /** Reads the rate-limit headers of any answer (2xx or not) into bucket observations. */
  observationsOf(candidate: Candidate, headers: Headers): BucketObservation[] {
    const preset = candidate.entry.provider.preset;
    if (preset.rateLimited === false || preset.headerBuckets.length === 0) return [];
    return readRateLimitHeaders(headers, preset.headerBuckets, {
      now: this.#options.now(),
      scopes: { key: candidate.scopes.key, model: candidate.scopes.model },
    });
  }

  /**
   * What a settle tells the store: each bucket the answer's headers described, and each token
   * bucket whose estimate the usage reconciles. The lease's own holdings are released by the
   * store; a bucket neither described nor reconciled needs no entry.
   */
  #settleBuckets(lease: Lease, headers: Headers | undefined, usedTokens?: number): SettleBucket[] {
    const observed = headers ? this.observationsOf(lease.candidate, headers) : [];
    const buckets: SettleBucket[] = [];
    for (const observation of observed) {
      const demand = lease.demands.find((found) => found.id === observation.id);
      buckets.push({
        id: observation.id,
        reserved: demand?.cost ?? 0,
        used: demand?.kind === 'tokens' ? usedTokens : undefined,
        observed: observation,
      });
    }
    if (usedTokens === undefined) return buckets;
    for (const demand of lease.demands) {
      if (demand.kind !== 'tokens' || observed.some((observation) => observation.id === demand.id)) continue;
      buckets.push({ id: demand.id, reserved: demand.cost, used: usedTokens });
    }
    return buckets;
  }

  /**
   * A 429 (or a quota answer): learns every limit it stated, else counts the requests the
   * provider accepted before it, and blocks the scope until the reset it gave, else until the
   * learnt window opens again.
   */
  async #refuse(
    lease: Lease,
    headers: Headers | undefined,
    classification: FailureClassification,
    long: boolean,
  ): Promise<{ until: number; scope: string }> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { candidate } = lease;
    const { scopes } = candidate;
    const preset = candidate.entry.provider.preset;
    const scopeOf = (scope?: 'key' | 'model') =>
      (scope ?? classification.scope ?? 'model') === 'key' ? scopes.key : scopes.model;
    const blockScope = scopeOf();
    const dailyReset = () =>
      classification.window === 'month'
        ? nextWindowEnd('month', now)
        : nextDailyReset(preset.dailyReset ?? 'utc', now);
    const until = classification.retryAt ?? (long ? dailyReset() : undefined);
    const limits: LearnLimit[] = [];
    const readByHeaderBuckets = new Set(
      preset.headerBuckets.flatMap((spec) => (spec.limitHeader ? [spec.limitHeader.toLowerCase()] : [])),
    );
    for (const stated of classification.limits ?? []) {
      if (stated.window === 'month') continue;
      // What the preset's header buckets read is a header bucket already, not a learnt one.
      if (stated.header !== undefined && readByHeaderBuckets.has(stated.header)) continue;
      const statedLong = stated.window === 'day';
      limits.push({
        bucket: bucketKeyOf(scopeOf(stated.scope), stated.kind, statedLong ? 'day' : 'rolling', 'learnt'),
        limit: stated.limit,
        windowMs: statedLong ? undefined : stated.windowMs,
        fixed: statedLong,
        resetAt: statedLong
          ? long
            ? until
            : nextDailyReset(preset.dailyReset ?? 'utc', now)
          : long
            ? undefined
            : until,
        evidence: stated.evidence,
        named: stated.window,
      });
    }
    const statesShortRequests = limits.some((limit) => !limit.fixed && limit.bucket.kind === 'requests');
    if (
      !long &&
      !statesShortRequests &&
      classification.subject !== 'tokens' &&
      classification.window !== undefined
    ) {
      limits.push({
        bucket: bucketKeyOf(blockScope, 'requests', 'rolling', 'learnt'),
        resetAt: until,
        named: classification.window,
      });
    }
    const result = await this.#options.store.refuse({
      now,
      leaseId: lease.id,
      buckets: this.#settleBuckets(lease, headers),
      historyId: bucketId({ scope: scopes.model, kind: 'requests', window: 'rolling', source: 'learnt' }),
      limits,
      defaultWindowMs: settings.cooldownDefaultMs,
      block: {
        scope: blockScope,
        state: long ? 'exhausted' : 'cooldown',
        reason: classification.reason,
        until,
      },
    });
    return { until: result.block.until, scope: blockScope };
  }

  /** The state change of a failure that teaches no limit. Returns the scope it blocked, if any. */
  async #apply(
    lease: Lease,
    state: (typeof failurePolicy)[AttemptFailureKind]['state'],
    classification: FailureClassification,
    reason: string,
  ): Promise<string | undefined> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { store } = this.#options;
    const { scopes } = lease.candidate;
    switch (state) {
      case 'park-key': {
        const scope = classification.scope === 'model' ? scopes.model : scopes.key;
        const until = classification.retryAt ?? now + parkedMs;
        await store.block({ now, scope, state: 'parked', until, reason: classification.reason });
        return scope;
      }
      case 'invalid-key':
        await store.block({
          now,
          scope: scopes.key,
          state: 'parked',
          until: now + invalidKeyMs,
          reason: classification.reason,
        });
        return scopes.key;
      case 'broken':
        await store.block({
          now,
          scope: scopes.entry,
          state: 'broken',
          until: now + parkedMs,
          reason: classification.reason,
        });
        return scopes.entry;
      case 'circuit':
        await this.#countFailure(lease, reason);
        return scopes.entry;
      case 'silent':
        await store.block({
          now,
          scope: scopes.model,
          state: 'faulted',
          until: now + settings.timeoutCooldownMs,
          reason,
        });
        await this.#countFailure(lease, reason);
        return scopes.model;
      default:
        return undefined;
    }
  }

  /**
   * One more consecutive failure of the entry. At the threshold the circuit opens for a time
   * that grows with the outage's age: the larger of `circuitMinOpenMs` and a quarter of the
   * time since its first failure, ±20 %, at most `circuitMaxOpenMs`. A provider that recovers
   * is so back within about a quarter of the outage plus one request interval.
   */
  async #countFailure(lease: Lease, reason: string): Promise<void> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { store } = this.#options;
    const scope = lease.candidate.scopes.entry;
    const { count, since } = await store.recordFailure({ now, scope });
    if (count < settings.circuitFailureThreshold) return;
    const age = Math.max(0, now - since);
    const jitter = 0.8 + 0.4 * (this.#options.random ?? Math.random)();
    const openFor = Math.round(
      Math.min(Math.max(settings.circuitMinOpenMs, age / 4) * jitter, settings.circuitMaxOpenMs),
    );
    await store.block({
      now,
      scope,
      state: 'circuit-open',
      until: now + openFor,
      reason: `circuit open after ${count} consecutive failures in ${Math.round(age / 1000)}s (last: ${reason})`,
      mode: 'replace',
    });
    this.#options.onCircuitOpen?.(lease.candidate, now + openFor);
  }

  /** A probe ended without an answer that decides: the next attempt probes again at once. */
  async #rearmProbe(scope: string, reason: string): Promise<void> {
    const now = this.#options.now();
    const snapshot = await this.#options.store.view({ now, bucketIds: [], scopes: [scope] });
    const block = snapshot.blocks[0];
    if (!block || block.until > now) return;
    await this.#options.store.block({
      now,
      scope,
      state: block.state,
      until: now,
      reason: `${block.reason}; the probe got no answer (${reason})`,
      mode: 'replace',
      release: 'probe',
    });
  }

  #changed(scope: string): void {
    this.#options.onChange?.(scope);
  }
}

/** A demand but for its cost and next reset; `resetWindow` says how its next reset is found. */
type DemandShape = Omit<BucketDemand, 'cost' | 'nextResetAt'> & { resetWindow?: BucketWindow | undefined };

/** When a fixed window opened now would reset: the provider's daily clock, the month, or one window on. */
function nextReset(window: BucketWindow, now: number, clock: DailyResetClock): number | undefined {
  if (window === 'none' || window === 'rolling') return undefined;
  if (window === 'day') return nextDailyReset(clock, now);
  if (window === 'month') return nextWindowEnd('month', now);
  return now + (windowLengthMs[window] ?? 60_000);
}

interface ManualLimits {
  requestsPerMinute?: number | undefined;
  requestsPerDay?: number | undefined;
  tokensPerMinute?: number | undefined;
  tokensPerDay?: number | undefined;
  concurrentRequests?: number | undefined;
}

function describeBlock(block: BlockRecord, now: number): SkipReason {
  const rateLimited = block.state === 'cooldown' || block.state === 'exhausted';
  if (block.until <= now) {
    return {
      rateLimited,
      reason: `probing${describeWait(block.probeUntil, now, ' for up to ')}: one request tests whether it has cleared (${block.reason})`,
      until: block.probeUntil ?? undefined,
      state: 'probing',
    };
  }
  return {
    rateLimited,
    reason: `${block.state}${describeWait(block.until, now, ' for ')}: ${block.reason}`,
    until: block.until,
    state: block.state,
  };
}

function describeBucket(bucket: BucketState, cost: number, now: number): SkipReason {
  if (bucket.kind === 'concurrency') {
    return {
      rateLimited: true,
      reason: `${bucket.inFlight}/${bucket.limit} requests in flight (${bucket.source} limit)`,
      until: undefined,
      state: 'exhausted',
    };
  }
  const left = bucket.limit !== null ? `${bucket.remaining}/${bucket.limit}` : `${bucket.remaining}`;
  const needs = bucket.kind === 'tokens' ? `, needs ~${cost}` : '';
  const window =
    bucket.window === 'rolling' && bucket.windowMs !== null
      ? ` in any ${formatWait(bucket.windowMs)}`
      : bucket.window === 'none'
        ? ''
        : ` per ${bucket.window}`;
  const source = bucket.learnt ? `learnt: ${bucket.learnt.evidence}` : bucket.source;
  return {
    rateLimited: true,
    reason: `${left} ${bucket.kind}${window} left${needs} (${source})${describeWait(bucket.resetAt, now)}`,
    until: bucket.resetAt ?? undefined,
    state: 'exhausted',
  };
}

/** `, resets in 42s` (or with another prefix) */
export function describeWait(until: number | null | undefined, now: number, prefix = ', resets in '): string {
  if (until === null || until === undefined) return '';
  const seconds = Math.max(0, Math.ceil((until - now) / 1000));
  if (seconds < 120) return `${prefix}${seconds}s`;
  if (seconds < 7200) return `${prefix}${Math.round(seconds / 60)}m`;
  return `${prefix}${Math.round(seconds / 3600)}h`;
}
