import type { Redact } from '../config/redact-secrets.ts';
import type { AttemptSummary } from '../errors.ts';
import type { ChainEvents } from '../events/chain-events.ts';
import {
  type AttemptFailureKind,
  type AttemptRecord,
  countSentAttempts,
  isFallback,
  type RequestRecord,
  type SkipKind,
  type TokenUsage,
} from '../events/request-record.ts';
import type { Candidate } from './candidate.ts';
import { encodeHeaderValue, truncateHeaderValue } from './header-value.ts';

/** Identity of the request a trail belongs to. */
export interface TrailIdentity {
  id: string;
  chain: string;
  kind: 'chat' | 'embedding';
  stream: boolean;
  metadata?: Record<string, string> | undefined;
}

/** An attempt in progress; finish it with {@link RequestTrail.finishAttempt}. */
export interface OpenAttempt {
  record: AttemptRecord;
}

/** What {@link RequestTrail.end} needs to close the record. */
export interface TrailEnd {
  outcome: RequestRecord['outcome'];
  status: number;
  provider?: string | undefined;
  model?: string | undefined;
  usage?: TokenUsage | undefined;
  ttftMs?: number | undefined;
  error?: { code: string; message: string } | undefined;
}

const trailHeaderLimit = 1_500;

/**
 * Collects the attempt trail of one request, emits `attempt-*` and `request-*`
 * events, names what happened in response headers, and produces the request record.
 */
export class RequestTrail {
  readonly identity: TrailIdentity;
  readonly startedAt: number;
  readonly attempts: AttemptRecord[] = [];
  queuedMs = 0;
  readonly #events: ChainEvents;
  readonly #now: () => number;
  /** Removes provider secrets from reasons and messages (providers sometimes echo keys). */
  readonly redact: Redact;
  #ended = false;

  constructor(
    identity: TrailIdentity,
    events: ChainEvents,
    now: () => number,
    redact: Redact = (text) => text,
  ) {
    this.identity = identity;
    this.#events = events;
    this.#now = now;
    this.redact = redact;
    this.startedAt = now();
    events.emit('request-start', {
      id: identity.id,
      chain: identity.chain,
      kind: identity.kind,
      stream: identity.stream,
      at: this.startedAt,
      metadata: identity.metadata,
    });
  }

  /** Records a candidate skipped without a request, and why. */
  skip(candidate: Candidate, reason: string, failure: SkipKind): void {
    const record = this.#newRecord(candidate, 'skipped', this.redact(reason));
    record.failure = failure;
    this.attempts.push(record);
    this.#events.emit('attempt-end', { requestId: this.identity.id, attempt: record });
  }

  /** Opens an attempt that sends a request. */
  start(candidate: Candidate, options: { continuation?: boolean } = {}): OpenAttempt {
    const record = this.#newRecord(candidate, 'failed', 'in progress');
    if (options.continuation) record.continuation = true;
    this.attempts.push(record);
    this.#events.emit('attempt-start', {
      requestId: this.identity.id,
      provider: record.provider,
      model: record.model,
      key: record.key,
      entryIndex: record.entryIndex,
      at: record.startedAt,
    });
    return { record };
  }

  /** Closes an attempt. */
  finishAttempt(
    attempt: OpenAttempt,
    result: {
      outcome: AttemptRecord['outcome'];
      reason: string;
      status?: number | undefined;
      failure?: AttemptFailureKind | undefined;
      retries?: number | undefined;
      ttftMs?: number | undefined;
      usage?: TokenUsage | undefined;
    },
  ): void {
    const record = attempt.record;
    record.outcome = result.outcome;
    record.reason = this.redact(result.reason);
    record.status = result.status;
    record.failure = result.failure;
    if (result.retries) record.retries = result.retries;
    record.ttftMs = result.ttftMs;
    record.usage = result.usage;
    record.latencyMs = this.#now() - record.startedAt;
    this.#events.emit('attempt-end', { requestId: this.identity.id, attempt: record });
  }

  /** Response headers naming what happened. */
  headers(answered?: Candidate): Record<string, string> {
    const headers: Record<string, string> = {
      'x-request-id': this.identity.id,
      'x-429chain-request-id': this.identity.id,
      'x-429chain-chain': encodeHeaderValue(this.identity.chain),
      'x-429chain-attempts': String(countSentAttempts(this.attempts)),
    };
    if (answered) {
      headers['x-429chain-provider'] = encodeHeaderValue(answered.entry.provider.id);
      headers['x-429chain-model'] = encodeHeaderValue(answered.entry.model);
    }
    const trail = encodeHeaderValue(this.attempts.map(compactStep).join(', '));
    headers['x-429chain-trail'] = truncateHeaderValue(trail, trailHeaderLimit);
    return headers;
  }

  /** The trail as the error hierarchy reports it. */
  summaries(): AttemptSummary[] {
    return this.attempts.map((attempt) => ({
      provider: attempt.provider,
      model: attempt.model,
      key: attempt.key,
      outcome: attempt.outcome,
      reason: attempt.reason,
      status: attempt.status,
    }));
  }

  /** Closes the request: emits `request-end` once and returns the record. */
  end(end: TrailEnd): RequestRecord | undefined {
    if (this.#ended) return undefined;
    this.#ended = true;
    const endedAt = this.#now();
    const record: RequestRecord = {
      id: this.identity.id,
      chain: this.identity.chain,
      kind: this.identity.kind,
      stream: this.identity.stream,
      startedAt: this.startedAt,
      endedAt,
      outcome: end.outcome,
      status: end.status,
      provider: end.provider,
      model: end.model,
      latencyMs: endedAt - this.startedAt,
      ttftMs: end.ttftMs,
      usage: end.usage,
      queuedMs: this.queuedMs || undefined,
      error: end.error ? { code: end.error.code, message: this.redact(end.error.message) } : undefined,
      attemptCount: countSentAttempts(this.attempts),
      fallback: isFallback(end.outcome, this.attempts),
      attempts: this.attempts,
      metadata: this.identity.metadata,
    };
    this.#events.emit('request-end', { record });
    return record;
  }

  #newRecord(candidate: Candidate, outcome: AttemptRecord['outcome'], reason: string): AttemptRecord {
    return {
      provider: candidate.entry.provider.id,
      model: candidate.entry.model,
      key: candidate.key.label,
      entryIndex: candidate.entryIndex,
      outcome,
      reason,
      startedAt: this.#now(),
      latencyMs: 0,
    };
  }
}

function compactStep(attempt: AttemptRecord): string {
  const where = `${attempt.provider}/${attempt.model}`;
  if (attempt.outcome === 'skipped') return `${where}=skip(${attempt.failure ?? 'unavailable'})`;
  if (attempt.outcome === 'answered') return `${where}=${attempt.status ?? 200}`;
  if (attempt.outcome === 'cancelled') return `${where}=cancelled`;
  // Still open: a committed stream whose headers go out now shows its upstream status.
  if (attempt.reason === 'in progress') return `${where}=${attempt.status ?? 'pending'}`;
  const status = attempt.status !== undefined && attempt.status >= 400 ? attempt.status : undefined;
  return `${where}=${status ?? attempt.failure ?? 'failed'}`;
}
