import type { TokenUsage } from '../events/request-record.ts';
import type { Lease, SkipReason } from '../rate-limit/rate-limit-tracker.ts';
import { awaitFirstContent, classifyInBand } from '../streaming/await-first-content.ts';
import { readUsage } from '../streaming/chunk-info.ts';
import type { SourceEnd, StreamSource } from '../streaming/relay-stream.ts';
import { abortWith } from './abort-with.ts';
import type { Candidate } from './candidate.ts';
import type { EngineContext } from './engine-context.ts';
import { cutAnswer, readBodyText } from './read-body.ts';
import type { OpenAttempt, RequestTrail } from './request-trail.ts';
import { type AttemptFailure, sendUpstream } from './send-upstream.ts';

/** What trying one candidate gave. */
export type CandidateResult =
  | { type: 'skipped'; skip: SkipReason }
  | {
      type: 'failed';
      failure: AttemptFailure;
      /** When a rate-limited candidate is expected back. */
      until?: number | undefined;
    }
  | {
      type: 'answered';
      /** The upstream body, parsed. */
      json: Record<string, unknown>;
      /** The upstream body as received. */
      text: string;
      usage: TokenUsage | undefined;
    }
  | {
      type: 'committed';
      source: StreamSource;
      /** When the first content arrived (epoch ms). */
      firstContentAt: number;
    };

/**
 * Largest non-streaming answer read. Embeddings answers run to megabytes (100 inputs of
 * 1536 floats is ~3 MB of JSON), so readBodyText's 1 MiB default would cut them.
 */
const answerLimitBytes = 64 * 1024 * 1024;

/** Input of {@link attemptCandidate}. */
export interface AttemptInput {
  candidate: Candidate;
  trail: RequestTrail;
  /** The body to send, `model` already replaced. */
  body: Record<string, unknown>;
  stream: boolean;
  /** `/chat/completions` or `/embeddings`. */
  path: string;
  /** Tokens to reserve from token buckets. */
  estimatedTokens: number;
  clientSignal: AbortSignal;
  /** Epoch ms by which an answer must have started. */
  deadline: number;
  /** This attempt continues a stream another entry began. */
  continuation?: boolean | undefined;
  /**
   * Called once the candidate's buckets are reserved: the queue lets the next waiter go, at
   * once, or (for a probe) when this attempt's answer arrives.
   */
  onReserved?: ((lease: Lease) => void) | undefined;
  /** Called when a committed stream's source ends (settles state, updates the trail). */
  onSourceEnd?: ((candidate: Candidate, end: SourceEnd) => void) | undefined;
}

/**
 * Tries one candidate: reserve, send, and read until there is an answer (or, for a
 * stream, its first content). Every failure is turned into state and a trail step;
 * the client's abort is rethrown untouched.
 */
export async function attemptCandidate(
  context: EngineContext,
  input: AttemptInput,
): Promise<CandidateResult> {
  const { candidate, trail } = input;
  const { tracker } = context;
  const acquired = await tracker.acquire(candidate, input.estimatedTokens);
  if (!acquired.ok) {
    trail.skip(candidate, acquired.skip.reason, acquired.skip.state);
    return { type: 'skipped', skip: acquired.skip };
  }
  const lease = acquired.lease;
  input.onReserved?.(lease);
  const attempt = trail.start(candidate, { continuation: input.continuation });
  const controller = new AbortController();
  const unlink = abortWith(controller, [input.clientSignal, context.shutdown]);
  const signal = controller.signal;
  const abort = () => controller.abort();
  const result = await attemptUpstream(context, input, { lease, attempt, signal, abort, unlink }).catch(
    (error: unknown) => {
      unlink();
      throw error;
    },
  );
  // A committed stream keeps its signal linked until its source ends (`finish` unlinks).
  if (result.type !== 'committed') unlink();
  return result;
}

/** What {@link attemptUpstream} works with once the candidate is reserved. */
interface ReservedAttempt {
  lease: Lease;
  attempt: OpenAttempt;
  /** Aborts when the client leaves, the chain closes, or {@link abort} is called. */
  signal: AbortSignal;
  abort: () => void;
  /** Detaches the signal from the client's and the chain's; called when a committed stream ends. */
  unlink: () => void;
}

async function attemptUpstream(
  context: EngineContext,
  input: AttemptInput,
  reserved: ReservedAttempt,
): Promise<CandidateResult> {
  const { candidate, trail } = input;
  const { tracker } = context;
  const { lease, attempt, signal, abort } = reserved;

  const cancelled = async (error: unknown): Promise<never> => {
    abort();
    await tracker.settle(lease, {}).catch((settleError: unknown) => reportStoreError(context, settleError));
    trail.finishAttempt(attempt, { outcome: 'cancelled', reason: 'the client went away' });
    throw error;
  };

  // A probe decides for the requests behind it: it gets no transient retry, and little time.
  const probe = lease.probes.length > 0;
  const settings = context.config().settings;
  let exchange: Awaited<ReturnType<typeof sendUpstream>>;
  try {
    exchange = await sendUpstream({
      candidate,
      path: input.path,
      payload: JSON.stringify(input.body),
      stream: input.stream,
      signal,
      abort,
      deadline: input.deadline,
      fetch: context.fetch,
      now: context.now,
      retry: !probe,
    });
  } catch (error) {
    return cancelled(error);
  }
  if (!exchange.ok) {
    const until = await recordFailure(context, {
      lease,
      attempt,
      trail,
      failure: exchange.failure,
      retries: exchange.retries,
    });
    return { type: 'failed', failure: exchange.failure, until };
  }
  const response = exchange.response;

  if (input.stream) {
    const first = await awaitFirstContent({
      candidate,
      response,
      timeoutMs: probe
        ? Math.min(settings.firstTokenTimeoutMs, settings.probeFirstTokenTimeoutMs)
        : settings.firstTokenTimeoutMs,
      now: context.now,
      logger: context.logger,
    });
    if (input.clientSignal.aborted || context.shutdown.aborted) {
      if (first.ok) await first.content.reader.cancel().catch(() => {});
      return cancelled(input.clientSignal.reason ?? context.shutdown.reason);
    }
    if (!first.ok) {
      abort();
      const until = await recordFailure(context, {
        lease,
        attempt,
        trail,
        failure: first.failure,
        retries: exchange.retries,
      });
      return { type: 'failed', failure: first.failure, until };
    }
    const ttftMs = first.content.firstContentAt - attempt.record.startedAt;
    let finished = false;
    const source: StreamSource = {
      reader: first.content.reader,
      buffered: first.content.buffered,
      abort,
      finish: (end) => {
        if (finished) return;
        finished = true;
        reserved.unlink();
        const settle = settleStream(context, { lease, attempt, trail, end, response, ttftMs });
        context.running.add(settle);
        settle.finally(() => context.running.delete(settle));
        input.onSourceEnd?.(candidate, end);
      },
    };
    attempt.record.status = response.status;
    attempt.record.ttftMs = ttftMs;
    return { type: 'committed', source, firstContentAt: first.content.firstContentAt };
  }

  const text = await readBodyText(response, {
    maxBytes: answerLimitBytes,
    timeoutMs: Math.max(1, Math.min(candidate.entry.provider.timeoutMs, input.deadline - context.now())),
    abort,
  }).catch((error: unknown) => (signal.aborted ? Promise.reject(error) : undefined));
  if (input.clientSignal.aborted || context.shutdown.aborted) {
    return cancelled(input.clientSignal.reason ?? context.shutdown.reason);
  }
  const failure = cutAnswer(response) ?? readAnswer(candidate, response, text, context.now());
  if ('failure' in failure) {
    const until = await recordFailure(context, {
      lease,
      attempt,
      trail,
      failure: failure.failure,
      retries: exchange.retries,
    });
    return { type: 'failed', failure: failure.failure, until };
  }
  const usage = readUsage(failure.json.usage);
  await settleSafely(context, () =>
    tracker.settle(lease, { headers: response.headers, usedTokens: usage?.totalTokens, success: 'answer' }),
  );
  trail.finishAttempt(attempt, {
    outcome: 'answered',
    reason: String(response.status),
    status: response.status,
    retries: exchange.retries,
    usage,
  });
  return { type: 'answered', json: failure.json, text: text!, usage };
}

/** Checks a non-streaming answer body: JSON, not an error, and with choices or data. */
function readAnswer(
  candidate: Candidate,
  response: Response,
  text: string | undefined,
  now: number,
): { json: Record<string, unknown> } | { failure: AttemptFailure } {
  const base = { status: response.status, headers: response.headers };
  if (text === undefined) {
    return {
      failure: {
        ...base,
        kind: 'timeout',
        reason: `the answer body did not arrive within ${candidate.entry.provider.timeoutMs} ms`,
      },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { failure: { ...base, kind: 'server', reason: 'the answer is not valid JSON' } };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { failure: { ...base, kind: 'server', reason: 'the answer is not a JSON object' } };
  }
  const record = json as Record<string, unknown>;
  if (record.error !== undefined && record.error !== null) {
    const classification = classifyInBand(candidate, record.error, response.headers, now);
    return { failure: { ...base, kind: classification.kind, reason: classification.reason, classification } };
  }
  if (!Array.isArray(record.choices) && !Array.isArray(record.data)) {
    return { failure: { ...base, kind: 'server', reason: 'the answer has no choices' } };
  }
  return { json: record };
}

async function recordFailure(
  context: EngineContext,
  input: {
    lease: Lease;
    attempt: OpenAttempt;
    trail: RequestTrail;
    failure: AttemptFailure;
    retries: number;
  },
): Promise<number | undefined> {
  const { lease, failure } = input;
  let until: number | undefined;
  await settleSafely(context, async () => {
    until = await context.tracker.fail(lease, failure);
  });
  input.trail.finishAttempt(input.attempt, {
    outcome: 'failed',
    reason: failure.reason,
    status: failure.status,
    failure: failure.kind,
    retries: input.retries,
  });
  return until;
}

async function settleStream(
  context: EngineContext,
  input: {
    lease: Lease;
    attempt: OpenAttempt;
    trail: RequestTrail;
    end: SourceEnd;
    response: Response;
    ttftMs: number;
  },
): Promise<void> {
  const { lease, end } = input;
  input.trail.finishAttempt(input.attempt, {
    outcome: end.outcome === 'complete' ? 'answered' : end.outcome === 'cancelled' ? 'cancelled' : 'failed',
    reason: end.outcome === 'complete' ? String(input.response.status) : (end.reason ?? end.outcome),
    status: input.response.status,
    failure: end.outcome === 'failed' ? 'stream' : undefined,
    ttftMs: input.ttftMs,
    usage: end.usage,
  });
  await settleSafely(context, async () => {
    await context.tracker.settle(lease, {
      headers: input.response.headers,
      usedTokens: end.usage?.totalTokens,
      success: end.outcome === 'complete' ? 'stream' : undefined,
    });
    if (end.outcome === 'failed') {
      await context.tracker.streamFailed(lease.candidate, end.reason ?? 'stream failed');
    }
  });
}

/** Runs rate-limit bookkeeping; a failing store is logged, never allowed to fail the request. */
async function settleSafely(context: EngineContext, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    reportStoreError(context, error);
  }
  context.queue.notify();
}

function reportStoreError(context: EngineContext, error: unknown): void {
  context.logger.error('rate-limit store failed', {
    error: error instanceof Error ? error.message : String(error),
  });
}
