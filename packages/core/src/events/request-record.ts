import { z } from 'zod';

/**
 * The record of a request and of each attempt in its trail, as zod schemas: the engine
 * builds these records, and the schemas let others describe them (the server's OpenAPI
 * document) without writing them out again. The types below are derived from them.
 */

/**
 * Why a sent attempt failed (`AttemptRecord.failure` when its outcome is `failed`): a
 * preset's verdict on an error answer (`FailureKind`), or one of the engine's own.
 *
 * - `rate-limit`: a short-window 429; `quota`: a daily or monthly quota is used up;
 *   `no-credit`: out of credit; `too-large`: the request is too large for the entry;
 *   `context-length`: the prompt exceeds its window; `invalid-request`: refused as is;
 *   `auth`: the key was refused; `not-found`: no such model; `server`: 5xx, overloaded,
 *   connection reset, or an answer that is not one.
 * - `timeout`: no response headers in time; `first-token-timeout`: no first content in
 *   time; `stream`: a committed stream broke, stalled or ended without a finish.
 */
export const attemptFailureKinds = [
  'rate-limit',
  'quota',
  'no-credit',
  'too-large',
  'context-length',
  'invalid-request',
  'auth',
  'not-found',
  'server',
  'timeout',
  'first-token-timeout',
  'stream',
] as const;

/** Why a sent attempt failed; see {@link attemptFailureKinds}. */
export type AttemptFailureKind = (typeof attemptFailureKinds)[number];

/**
 * Why a candidate was skipped without a request (`AttemptRecord.failure` when its outcome
 * is `skipped`): the block on its scope (`cooldown`, `exhausted`, `faulted`, `parked`,
 * `broken`, `circuit-open`; `exhausted` also for a bucket with no room), `probing` while one
 * request tests whether an ended block has cleared, or `unsuitable` when it cannot serve this
 * request (context window, tools, vision, JSON mode).
 */
export const skipKinds = [
  'cooldown',
  'exhausted',
  'faulted',
  'parked',
  'broken',
  'circuit-open',
  'probing',
  'unsuitable',
] as const;

/** Why a candidate was skipped; see {@link skipKinds}. */
export type SkipKind = (typeof skipKinds)[number];

/** Failure kinds of a sent attempt that are a rate limit or a quota rather than an error. */
export const rateLimitFailureKinds = ['rate-limit', 'quota'] as const satisfies readonly AttemptFailureKind[];

/** Skip kinds of a candidate held back by its rate limits (not by a fault, nor unsuitable). */
export const rateLimitSkipKinds = ['cooldown', 'exhausted'] as const satisfies readonly SkipKind[];

/** Token counts of one answer. */
export const tokenUsageSchema = z.object({
  promptTokens: z.number(),
  completionTokens: z.number(),
  totalTokens: z.number(),
});

/** What happened to one candidate (entry + key) during a request. */
export const attemptOutcomeSchema = z.enum(['answered', 'skipped', 'failed', 'cancelled']);

/** One step of a request's trail. */
export const attemptRecordSchema = z.object({
  /** Provider id. */
  provider: z.string(),
  /** Model asked for. */
  model: z.string(),
  /** Key label, e.g. `key 1 (…a1b2)`; never the key. */
  key: z.string(),
  /** Position of the entry in its chain, from 0. */
  entryIndex: z.number().int(),
  outcome: attemptOutcomeSchema,
  /** Why it was skipped or failed, or `200` when answered. */
  reason: z.string(),
  /** Upstream HTTP status, when a request was sent and headers came back. */
  status: z.number().int().optional(),
  /** Why it failed (an {@link AttemptFailureKind}) or was skipped (a {@link SkipKind}). */
  failure: z.enum([...attemptFailureKinds, ...skipKinds]).optional(),
  /** When the attempt started (epoch ms). */
  startedAt: z.number(),
  /** Time until the attempt ended, or until the answer was committed for streams (ms). */
  latencyMs: z.number(),
  /** Time to first content (ms), for answered streams. */
  ttftMs: z.number().optional(),
  /** Retries made on this candidate (transient 5xx). */
  retries: z.number().int().optional(),
  /** Token usage of the answer, when it answered. */
  usage: tokenUsageSchema.optional(),
  /** This attempt continued a stream another entry began. */
  continuation: z.boolean().optional(),
  /** Upstream's own id of its answer (`chatcmpl-…`), when it gave one. */
  upstreamId: z.string().optional(),
});

/**
 * How a request ended: `answered` (a complete answer), `failed` (an error answer: no entry
 * could serve, or the provider refused the request), `interrupted` (a stream broke after
 * commit and no entry could continue it), `cancelled` (the client went away).
 */
export const requestOutcomeSchema = z.enum(['answered', 'failed', 'interrupted', 'cancelled']);

/** The record of one request, with its whole attempt trail. */
export const requestRecordSchema = z.object({
  /** Unique id, also sent as `x-429chain-request-id`. */
  id: z.string(),
  /** Chain name (or `provider/model` for a direct request). */
  chain: z.string(),
  /** `chat` or `embedding`. */
  kind: z.enum(['chat', 'embedding']),
  stream: z.boolean(),
  startedAt: z.number(),
  endedAt: z.number(),
  outcome: requestOutcomeSchema,
  /** HTTP status returned to the client. */
  status: z.number().int(),
  /** Provider and model that answered, when one did. */
  provider: z.string().optional(),
  model: z.string().optional(),
  /** Total time (ms). */
  latencyMs: z.number(),
  /** Time to first content sent to the client (ms), for streams. */
  ttftMs: z.number().optional(),
  usage: tokenUsageSchema.optional(),
  /** Time spent waiting in the queue (ms). */
  queuedMs: z.number().optional(),
  /** Error code and message when it did not answer. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Attempts that sent a request upstream (skips not counted); also `x-429chain-attempts`. */
  attemptCount: z.number().int(),
  /**
   * Answered by another candidate than the first one that could serve it: an earlier
   * attempt was sent, or an earlier candidate was skipped for its limits or faults
   * (skips of `unsuitable` candidates do not count).
   */
  fallback: z.boolean(),
  attempts: z.array(attemptRecordSchema),
  /** Free-form labels the caller attached (e.g. the client key's name). */
  metadata: z.record(z.string(), z.string()).optional(),
});

/** Token counts of one answer. */
export type TokenUsage = z.output<typeof tokenUsageSchema>;
/** What happened to one candidate (entry + key) during a request. */
export type AttemptOutcome = z.output<typeof attemptOutcomeSchema>;
/** One step of a request's trail. */
export type AttemptRecord = z.output<typeof attemptRecordSchema>;
/** How a request ended; see {@link requestOutcomeSchema}. */
export type RequestOutcome = z.output<typeof requestOutcomeSchema>;
/** The record of one request, with its whole attempt trail. */
export type RequestRecord = z.output<typeof requestRecordSchema>;

/** Attempts that sent a request upstream (skips not counted). */
export function countSentAttempts(attempts: readonly AttemptRecord[]): number {
  let sent = 0;
  for (const attempt of attempts) if (attempt.outcome !== 'skipped') sent++;
  return sent;
}

/** Whether a request was answered by another candidate than the first one that could serve it. */
export function isFallback(outcome: RequestOutcome, attempts: readonly AttemptRecord[]): boolean {
  if (outcome !== 'answered') return false;
  const answering = attempts.findLastIndex((attempt) => attempt.outcome === 'answered');
  for (let index = 0; index < answering; index++) {
    const attempt = attempts[index]!;
    if (attempt.outcome !== 'skipped' || attempt.failure !== 'unsuitable') return true;
  }
  return false;
}

/** An attempt refused for a rate limit or quota, or skipped while its limits hold it back. */
export function isRateLimitedAttempt(attempt: AttemptRecord): boolean {
  const failure = attempt.failure as string | undefined;
  if (failure === undefined) return false;
  if (attempt.outcome === 'failed') return (rateLimitFailureKinds as readonly string[]).includes(failure);
  return attempt.outcome === 'skipped' && (rateLimitSkipKinds as readonly string[]).includes(failure);
}

/** A sent attempt that failed for another reason than a rate limit (5xx, timeout, auth, broken stream, …). */
export function isErroredAttempt(attempt: AttemptRecord): boolean {
  return (
    attempt.outcome === 'failed' &&
    !(rateLimitFailureKinds as readonly string[]).includes((attempt.failure as string | undefined) ?? '')
  );
}
