import type { EngineSettings } from '../config/resolve-config.ts';
import { nextDailyReset, nextWindowEnd } from '../providers/daily-reset.ts';
import type { FailureClassification } from '../providers/provider-preset.ts';
import { readRateLimitHeaders } from '../providers/read-rate-limit-headers.ts';
import type { Candidate } from '../routing/candidate.ts';
import {
  type BlockRecord,
  type BlockState,
  type BucketDemand,
  type BucketKind,
  type BucketObservation,
  type BucketState,
  type BucketWindow,
  bucketId,
} from './bucket.ts';
import type { RateLimitStore, SettleBucket } from './rate-limit-store.ts';

/** A reservation taken before an attempt; settle it exactly once. */
export interface Lease {
  id: string;
  candidate: Candidate;
  demands: BucketDemand[];
  /** This attempt is the one probe through a half-open circuit. */
  probe: boolean;
}

/** Why a candidate was skipped without a request. */
export interface SkipReason {
  /** `rate-limited` skips count toward a 429 and the queue; others do not. */
  rateLimited: boolean;
  /** Human-readable reason for the trail. */
  reason: string;
  /** When the candidate may be available again (epoch ms), if known. */
  until: number | undefined;
  /** The block state, or `exhausted` for an empty bucket. */
  state: BlockState | 'exhausted';
}

/** The result of {@link RateLimitTracker.acquire}. */
export type AcquireOutcome = { ok: true; lease: Lease } | { ok: false; skip: SkipReason };

/** What the tracker needs from the engine. */
export interface TrackerOptions {
  store: RateLimitStore;
  settings: () => EngineSettings;
  now: () => number;
  /** Called after every state change, for `ratelimit-change` events. */
  onChange?: ((scope: string) => void) | undefined;
}

const windowLengthMs: Record<BucketWindow, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  month: 30 * 86_400_000,
  none: 0,
};

const leaseLifetimeMs = 15 * 60_000;
const probeLifetimeMs = 60_000;
const parkedMs = 24 * 3_600_000;
const invalidKeyMs = 30 * 86_400_000;
const circuitCeilingMs = 10 * 60_000;

let leaseCounter = 0;

/**
 * Decides, before each attempt, whether a candidate can take a request, reserves
 * its share of every bucket, and turns each upstream answer into state changes.
 * All state lives in the {@link RateLimitStore}; the tracker holds none.
 */
export class RateLimitTracker {
  readonly #options: TrackerOptions;

  constructor(options: TrackerOptions) {
    this.#options = options;
  }

  /** The buckets an attempt must take from, given its estimated tokens. */
  demandsOf(candidate: Candidate, estimatedTokens: number): BucketDemand[] {
    const now = this.#options.now();
    const { entry, scopes } = candidate;
    const preset = entry.provider.preset;
    const demands = new Map<string, BucketDemand>();
    const add = (
      scope: string,
      kind: BucketKind,
      window: BucketWindow,
      source: BucketDemand['source'],
      limit?: number,
    ) => {
      const key = { scope, kind, window, source };
      const id = bucketId(key);
      demands.set(id, {
        id,
        ...key,
        cost: kind === 'tokens' ? estimatedTokens : 1,
        limit,
        nextResetAt: this.#nextReset(window, now, candidate),
      });
    };
    if (preset.rateLimited !== false) {
      for (const spec of preset.headerBuckets) {
        add(spec.scope === 'key' ? scopes.key : scopes.model, spec.kind, spec.window, 'header');
      }
    }
    const providerLimits = entry.provider.rateLimits;
    if (providerLimits) {
      const scope = providerLimits.scope === 'key' ? scopes.key : scopes.model;
      this.#addManual(providerLimits, scope, add);
    }
    if (entry.rateLimits) this.#addManual(entry.rateLimits, scopes.model, add);
    return [...demands.values()];
  }

  /** Reserves a candidate's share of every bucket, or says why it must be skipped. */
  async acquire(candidate: Candidate, estimatedTokens: number): Promise<AcquireOutcome> {
    const now = this.#options.now();
    const demands = this.demandsOf(candidate, estimatedTokens);
    const id = `${now.toString(36)}-${(++leaseCounter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const result = await this.#options.store.acquire({
      now,
      leaseId: id,
      leaseExpiresAt: now + leaseLifetimeMs,
      blockScopes: [candidate.scopes.key, candidate.scopes.model, candidate.scopes.entry],
      buckets: demands,
      probeUntil: now + probeLifetimeMs,
    });
    if (result.ok) return { ok: true, lease: { id, candidate, demands, probe: result.probe } };
    if ('blocked' in result) return { ok: false, skip: describeBlock(result.blocked, now) };
    return { ok: false, skip: describeBucket(result.bucket, result.cost, now) };
  }

  /**
   * Releases a reservation and records what the answer's headers said. `usedTokens`
   * reconciles token buckets the headers did not describe. A `success` also starts the
   * entry's failure count over (and, for a completed stream, its mid-stream failure count),
   * in the same store call.
   */
  async settle(
    lease: Lease,
    answer: {
      headers?: Headers | undefined;
      usedTokens?: number | undefined;
      success?: 'answer' | 'stream' | undefined;
    },
  ) {
    const now = this.#options.now();
    const observed = answer.headers ? this.observationsOf(lease.candidate, answer.headers) : [];
    const byId = new Map(observed.map((observation) => [observation.id, observation]));
    const buckets: SettleBucket[] = lease.demands.map((demand) => {
      const observation = byId.get(demand.id);
      byId.delete(demand.id);
      return {
        id: demand.id,
        reserved: demand.cost,
        used: demand.kind === 'tokens' ? answer.usedTokens : undefined,
        observed: observation,
      };
    });
    for (const observation of byId.values()) {
      buckets.push({ id: observation.id, reserved: 0, observed: observation });
    }
    const entry = lease.candidate.scopes.entry;
    const clearFailures =
      answer.success === 'stream' ? [entry, `${entry}#stream`] : answer.success ? [entry] : undefined;
    await this.#options.store.settle({ now, leaseId: lease.id, buckets, clearFailures });
    if (observed.length > 0) this.#changed(lease.candidate.scopes.model);
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
   * After a successful answer settled with `success`: a probe through a half-open circuit
   * closes it. (The failure count was already cleared by `settle`.)
   */
  async recordSuccess(lease: Lease): Promise<void> {
    if (!lease.probe) return;
    await this.#options.store.unblock({ scopes: [lease.candidate.scopes.entry] });
    this.#changed(lease.candidate.scopes.entry);
  }

  /**
   * Turns a classified failure into the state change DESIGN.md §3 asks for.
   * Returns when the candidate is expected back for rate limits and quotas.
   */
  async recordFailure(candidate: Candidate, failure: FailureClassification): Promise<number | undefined> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { store } = this.#options;
    const preset = candidate.entry.provider.preset;
    const scopes = candidate.scopes;
    const scopeOf = (fallback: 'key' | 'model') =>
      (failure.scope ?? fallback) === 'key' ? scopes.key : scopes.model;
    let scope: string | undefined;
    let until: number | undefined;
    switch (failure.kind) {
      case 'rate-limit': {
        if (preset.rateLimited === false) return undefined;
        scope = scopeOf('model');
        until = failure.retryAt ?? now + settings.cooldownDefaultMs;
        await store.block({ now, scope, state: 'cooldown', until, reason: failure.reason });
        break;
      }
      case 'quota': {
        if (preset.rateLimited === false) return undefined;
        scope = scopeOf('model');
        until =
          failure.retryAt ??
          (failure.window === 'month'
            ? nextWindowEnd('month', now)
            : nextDailyReset(preset.dailyReset ?? 'utc', now));
        await store.block({ now, scope, state: 'exhausted', until, reason: failure.reason });
        break;
      }
      case 'no-credit':
        scope = scopeOf('key');
        await store.block({
          now,
          scope,
          state: 'parked',
          until: failure.retryAt ?? now + parkedMs,
          reason: failure.reason,
        });
        break;
      case 'auth':
        scope = scopes.key;
        await store.block({ now, scope, state: 'parked', until: now + invalidKeyMs, reason: failure.reason });
        break;
      case 'not-found':
        scope = scopes.entry;
        await store.block({ now, scope, state: 'broken', until: now + parkedMs, reason: failure.reason });
        break;
      case 'server':
        scope = scopes.entry;
        await this.#countFailure(candidate, failure.reason);
        break;
      default:
        return undefined;
    }
    this.#changed(scope);
    return until;
  }

  /** A silent upstream (no headers, or no first token): a short cooldown, and it counts toward the circuit. */
  async recordTimeout(candidate: Candidate, reason: string): Promise<void> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    await this.#options.store.block({
      now,
      scope: candidate.scopes.model,
      state: 'cooldown',
      until: now + settings.timeoutCooldownMs,
      reason,
    });
    await this.#countFailure(candidate, reason);
    this.#changed(candidate.scopes.model);
  }

  /** A stream that broke after commit: a cooldown that escalates on repeats. */
  async recordStreamFailure(candidate: Candidate, reason: string): Promise<void> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { store } = this.#options;
    const count = await store.recordFailure({ now, scope: `${candidate.scopes.entry}#stream` });
    const overThreshold = count - settings.midStreamFailureThreshold;
    const cooldown =
      overThreshold < 0
        ? settings.timeoutCooldownMs
        : Math.min(settings.midStreamCooldownMs * 2 ** overThreshold, settings.midStreamCooldownMaxMs);
    await store.block({
      now,
      scope: candidate.scopes.model,
      state: 'cooldown',
      until: now + cooldown,
      reason: `${reason} (mid-stream failure ${count})`,
    });
    this.#changed(candidate.scopes.model);
  }

  async #countFailure(candidate: Candidate, reason: string): Promise<void> {
    const now = this.#options.now();
    const settings = this.#options.settings();
    const { store } = this.#options;
    const count = await store.recordFailure({ now, scope: candidate.scopes.entry });
    const overThreshold = count - settings.circuitFailureThreshold;
    if (overThreshold < 0) return;
    const openFor = Math.min(settings.circuitCooldownMs * 2 ** overThreshold, circuitCeilingMs);
    await store.block({
      now,
      scope: candidate.scopes.entry,
      state: 'circuit-open',
      until: now + openFor,
      reason: `circuit open after ${count} consecutive failures (last: ${reason})`,
      mode: 'replace',
    });
  }

  #addManual(
    limits: {
      requestsPerMinute?: number | undefined;
      requestsPerDay?: number | undefined;
      tokensPerMinute?: number | undefined;
      tokensPerDay?: number | undefined;
      concurrentRequests?: number | undefined;
    },
    scope: string,
    add: (scope: string, kind: BucketKind, window: BucketWindow, source: 'manual', limit?: number) => void,
  ): void {
    if (limits.requestsPerMinute) add(scope, 'requests', 'minute', 'manual', limits.requestsPerMinute);
    if (limits.requestsPerDay) add(scope, 'requests', 'day', 'manual', limits.requestsPerDay);
    if (limits.tokensPerMinute) add(scope, 'tokens', 'minute', 'manual', limits.tokensPerMinute);
    if (limits.tokensPerDay) add(scope, 'tokens', 'day', 'manual', limits.tokensPerDay);
    if (limits.concurrentRequests) add(scope, 'concurrency', 'none', 'manual', limits.concurrentRequests);
  }

  #nextReset(window: BucketWindow, now: number, candidate: Candidate): number | undefined {
    if (window === 'none') return undefined;
    if (window === 'day') return nextDailyReset(candidate.entry.provider.preset.dailyReset ?? 'utc', now);
    if (window === 'month') return nextWindowEnd('month', now);
    return now + windowLengthMs[window];
  }

  #changed(scope: string): void {
    this.#options.onChange?.(scope);
  }
}

function describeBlock(block: BlockRecord, now: number): SkipReason {
  const rateLimited = block.state === 'cooldown' || block.state === 'exhausted';
  const state = block.state === 'probing' ? 'circuit-open' : block.state;
  return {
    rateLimited,
    reason: `${state}${describeWait(block.until, now, ' for ')}: ${block.reason}`,
    until: block.until,
    state,
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
  const window = bucket.window === 'none' ? '' : ` per ${bucket.window}`;
  return {
    rateLimited: true,
    reason: `${left} ${bucket.kind}${window} left${needs} (${bucket.source})${describeWait(bucket.resetAt, now)}`,
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
