import type { ResolvedChain } from '../config/resolve-config.ts';
import {
  ChainClosedError,
  type ChainError,
  ChainExhaustedError,
  isAbortError,
  ProviderHTTPError,
  QueueFullError,
  toOpenAIError,
} from '../errors.ts';
import { QueueWaitExpired, type Turn } from '../queue/wait-queue.ts';
import { estimateEmbeddingTokens } from '../rate-limit/estimate-tokens.ts';
import { moveReasoningToContent, relayStream, type StreamSource } from '../streaming/relay-stream.ts';
import { attemptCandidate, type CandidateResult } from './attempt-candidate.ts';
import { type Candidate, candidatesOf } from './candidate.ts';
import type { EngineContext } from './engine-context.ts';
import { RequestTrail } from './request-trail.ts';
import { type Requirements, requirementsOf, unmetRequirement } from './requirements.ts';
import { selectRoute } from './select-route.ts';
import { sleep } from './sleep.ts';

/** A validated request to route. */
export interface RunInput {
  /** The client's body, validated; passed upstream untouched but for `model` and `stream_options`. */
  body: Record<string, unknown>;
  kind: 'chat' | 'embedding';
  clientSignal: AbortSignal;
  requestId: string;
  metadata?: Record<string, string> | undefined;
  /** What a streamed body does when the client's signal aborts. @default 'error' */
  onAbort?: 'error' | 'close' | undefined;
}

/** After a finish reason, how long to wait for usage and `[DONE]`. */
const finishGraceMs = 2_000;

/**
 * Routes one request through its chain: tries candidates in order, waits in the
 * queue when every entry is rate-limited (if enabled), and answers with the first
 * complete answer or an OpenAI-shaped error listing every attempt.
 */
export async function runRequest(context: EngineContext, input: RunInput): Promise<Response> {
  const config = context.config();
  const model = input.body.model as string;
  const stream = input.kind === 'chat' && input.body.stream === true;
  let chain: ResolvedChain;
  try {
    chain = selectRoute(config, model, input.kind);
  } catch (error) {
    const trail = newTrail(context, input, model, stream);
    return failWith(trail, error, context.now());
  }
  const trail = newTrail(context, input, chain.name, stream);
  try {
    return await routeThroughChain(context, input, chain, trail, stream);
  } catch (error) {
    if (input.clientSignal.aborted) {
      trail.end({
        outcome: 'cancelled',
        status: 499,
        error: { code: 'cancelled', message: 'the client went away' },
      });
      throw error;
    }
    if (context.shutdown.aborted) return failWith(trail, new ChainClosedError(), context.now());
    if (isAbortError(error)) throw error;
    return failWith(trail, error, context.now());
  }
}

function newTrail(context: EngineContext, input: RunInput, chain: string, stream: boolean): RequestTrail {
  return new RequestTrail(
    { id: input.requestId, chain, kind: input.kind, stream, metadata: input.metadata },
    context.events,
    context.now,
    context.config().redact,
  );
}

/** Ends the trail with an error and answers it OpenAI-shaped. */
function failWith(trail: RequestTrail, error: unknown, now: number): Response {
  const { status, body } = toOpenAIError(error);
  trail.end({
    outcome: 'failed',
    status,
    error: { code: body.error.code ?? 'error', message: body.error.message },
  });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...trail.headers() };
  if (error instanceof ChainExhaustedError && error.retryAt !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil((error.retryAt - now) / 1000)));
  }
  return new Response(trail.redact(JSON.stringify(body)), { status, headers });
}

async function routeThroughChain(
  context: EngineContext,
  input: RunInput,
  chain: ResolvedChain,
  trail: RequestTrail,
  stream: boolean,
): Promise<Response> {
  const settings = context.config().settings;
  const needs: Requirements | undefined = input.kind === 'chat' ? requirementsOf(input.body) : undefined;
  const embeddingTokens = needs ? 0 : estimateEmbeddingTokens(input.body);
  /** Prompt estimate, plus max_tokens where the provider charges it up front (trap 11). */
  const tokenCost = (candidate: Candidate) =>
    needs
      ? needs.promptTokens +
        (candidate.entry.provider.preset.chargesMaxTokensUpfront ? (needs.completionTokens ?? 0) : 0)
      : embeddingTokens;
  const candidates = candidatesOf(chain, context.rotation);
  const excluded = new Map<string, string>();
  const waited = new Set<Candidate>();
  let smallestFailedWindow: number | undefined;
  let turn: Turn | undefined;
  let queueDeadline: number | undefined;

  const releaseTurn = (foundCapacity: boolean) => {
    turn?.done(foundCapacity);
    turn = undefined;
  };

  try {
    for (;;) {
      const deadline = context.now() + settings.requestBudgetMs;
      let allRateLimited = true;
      let earliest: number | undefined;
      const noteUntil = (until: number | undefined) => {
        if (until !== undefined) earliest = earliest === undefined ? until : Math.min(earliest, until);
      };

      for (let index = 0; index < candidates.length; index++) {
        const candidate = candidates[index]!;
        if (context.shutdown.aborted) throw new ChainClosedError();
        const unmet =
          (needs && unmetRequirement(candidate.entry, needs)) ??
          excluded.get(candidate.scopes.entry) ??
          windowTooSmall(candidate, smallestFailedWindow) ??
          (context.now() >= deadline ? 'the request budget is spent' : undefined);
        if (unmet) {
          trail.skip(candidate, unmet, 'unsuitable');
          allRateLimited = false;
          continue;
        }
        const body = upstreamBody(input.body, candidate, stream);
        const result: CandidateResult = await attemptCandidate(context, {
          candidate,
          trail,
          body,
          stream,
          path: input.kind === 'chat' ? '/chat/completions' : '/embeddings',
          estimatedTokens: tokenCost(candidate),
          clientSignal: input.clientSignal,
          deadline,
          onReserved: () => releaseTurn(true),
        });

        switch (result.type) {
          case 'skipped':
            if (result.skip.rateLimited) noteUntil(result.skip.until);
            else allRateLimited = false;
            break;
          case 'answered':
            return answerJson(context, trail, candidate, result);
          case 'committed':
            return answerStream(context, { input, trail, candidates, index, committed: result });
          case 'failed': {
            const kind = result.failure.kind;
            if (kind === 'invalid-request')
              return failWith(trail, providerError(candidate, result), context.now());
            if (kind === 'rate-limit' || kind === 'quota') {
              const until = result.until;
              const waitable =
                kind === 'rate-limit' &&
                settings.retryWaitMs > 0 &&
                until !== undefined &&
                until - context.now() <= settings.retryWaitMs &&
                until < deadline &&
                !waited.has(candidate);
              if (waitable) {
                waited.add(candidate);
                await sleep(Math.max(0, until - context.now()), input.clientSignal);
                index--;
                continue;
              }
              noteUntil(until);
              break;
            }
            allRateLimited = false;
            if (kind === 'too-large' || kind === 'not-found') {
              excluded.set(candidate.scopes.entry, `excluded: ${result.failure.reason}`);
            }
            if (kind === 'context-length') {
              excluded.set(candidate.scopes.entry, 'excluded: context length exceeded');
              const window = candidate.entry.capabilities.contextWindow;
              if (window !== undefined) smallestFailedWindow = Math.max(smallestFailedWindow ?? 0, window);
            }
            break;
          }
        }
      }

      // Nothing answered in this pass.
      const attempted = trail.attempts.some((attempt) => attempt.outcome === 'failed');
      const rateLimited = allRateLimited && candidates.length > 0;
      if (rateLimited && settings.queueMode) {
        queueDeadline ??= context.now() + settings.queueMaxWaitMs;
        if (earliest === undefined || earliest <= queueDeadline) {
          const rejoin = turn !== undefined;
          releaseTurn(false);
          if (!rejoin && context.queue.size >= settings.queueMaxSize)
            throw new QueueFullError(settings.queueMaxSize);
          const joinedAt = context.now();
          try {
            if (!rejoin) {
              context.events.emit('queue-join', {
                requestId: input.requestId,
                chain: chain.name,
                size: context.queue.size + 1,
                at: joinedAt,
              });
            }
            turn = await context.queue.wait({
              requestId: input.requestId,
              until: earliest,
              deadline: queueDeadline,
              signal: input.clientSignal,
              atHead: rejoin,
            });
            context.events.emit('queue-leave', {
              requestId: input.requestId,
              chain: chain.name,
              reason: 'resumed',
              waitedMs: context.now() - joinedAt,
              at: context.now(),
            });
            trail.queuedMs += context.now() - joinedAt;
            continue;
          } catch (error) {
            trail.queuedMs += context.now() - joinedAt;
            const expired = error instanceof QueueWaitExpired;
            context.events.emit('queue-leave', {
              requestId: input.requestId,
              chain: chain.name,
              reason: expired ? 'timeout' : input.clientSignal.aborted ? 'cancelled' : 'closed',
              waitedMs: context.now() - joinedAt,
              at: context.now(),
            });
            if (!expired) throw error;
          }
        }
      }
      throw new ChainExhaustedError({
        chain: chain.name,
        attempts: trail.summaries(),
        status: rateLimited ? 429 : attempted ? 502 : 503,
        retryAt: rateLimited ? earliest : undefined,
      });
    }
  } finally {
    releaseTurn(false);
  }
}

function windowTooSmall(candidate: Candidate, smallestFailedWindow: number | undefined): string | undefined {
  if (smallestFailedWindow === undefined) return undefined;
  const window = candidate.entry.capabilities.contextWindow;
  if (window !== undefined && window <= smallestFailedWindow) {
    return `context window ${window} is not larger than one that already overflowed (${smallestFailedWindow})`;
  }
  return undefined;
}

/** The body sent upstream: the client's, with the entry's model and usage asked for on streams. */
function upstreamBody(
  body: Record<string, unknown>,
  candidate: Candidate,
  stream: boolean,
): Record<string, unknown> {
  const upstream: Record<string, unknown> = { ...body, model: candidate.entry.model };
  if (stream) {
    if (candidate.entry.provider.preset.acceptsStreamOptions === false) delete upstream.stream_options;
    else {
      const asked =
        typeof body.stream_options === 'object' && body.stream_options !== null ? body.stream_options : {};
      upstream.stream_options = { ...asked, include_usage: true };
    }
  }
  return upstream;
}

function providerError(
  candidate: Candidate,
  result: Extract<CandidateResult, { type: 'failed' }>,
): ChainError {
  const classification = result.failure.classification;
  return new ProviderHTTPError({
    provider: candidate.entry.provider.id,
    status: result.failure.status ?? 400,
    headers: result.failure.headers ?? new Headers(),
    body: '',
    message: classification?.message || result.failure.reason,
    code: classification?.code,
    type: classification?.type,
    param: classification?.param,
  });
}

function answerJson(
  context: EngineContext,
  trail: RequestTrail,
  candidate: Candidate,
  result: Extract<CandidateResult, { type: 'answered' }>,
): Response {
  let text = result.text;
  if (context.config().settings.normalizeResponses && moveReasoningToContent(result.json)) {
    text = JSON.stringify(result.json);
  }
  const headers = { 'content-type': 'application/json', ...trail.headers(candidate) };
  trail.end({
    outcome: 'answered',
    status: 200,
    provider: candidate.entry.provider.id,
    model: typeof result.json.model === 'string' ? result.json.model : candidate.entry.model,
    usage: result.usage,
  });
  return new Response(text, { status: 200, headers });
}

function answerStream(
  context: EngineContext,
  options: {
    input: RunInput;
    trail: RequestTrail;
    candidates: Candidate[];
    index: number;
    committed: Extract<CandidateResult, { type: 'committed' }>;
  },
): Response {
  const { input, trail, candidates, index } = options;
  const settings = context.config().settings;
  let answering = candidates[index]!;
  const headers = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...trail.headers(answering),
  };
  const ttftMs = options.committed.firstContentAt - trail.startedAt;
  const streamOptions = input.body.stream_options as { include_usage?: unknown } | null | undefined;
  const singleChoice = input.body.n === undefined || input.body.n === null || input.body.n === 1;

  const continueWith = async (prefix: string): Promise<StreamSource | undefined> => {
    const failedEntry = answering.scopes.entry;
    for (let next = index + 1; next < candidates.length; next++) {
      const candidate = candidates[next]!;
      if (candidate.entry.capabilities.prefill !== true || candidate.scopes.entry === failedEntry) continue;
      const base = upstreamBody(input.body, candidate, true);
      const messages = Array.isArray(input.body.messages) ? input.body.messages : [];
      const result = await attemptCandidate(context, {
        candidate,
        trail,
        body: { ...base, messages: [...messages, { role: 'assistant', content: prefix }] },
        stream: true,
        path: '/chat/completions',
        estimatedTokens: 0,
        clientSignal: input.clientSignal,
        deadline: context.now() + settings.requestBudgetMs,
        continuation: true,
      });
      if (result.type === 'committed') {
        answering = candidate;
        return result.source;
      }
    }
    return undefined;
  };

  const body = relayStream({
    first: options.committed.source,
    clientWantsUsage: streamOptions?.include_usage === true,
    idleTimeoutMs: settings.streamIdleTimeoutMs,
    finishGraceMs,
    normalizeReasoning: settings.normalizeResponses,
    signal: input.clientSignal,
    onAbort: input.onAbort,
    redact: trail.redact,
    continueWith: singleChoice ? continueWith : undefined,
    logger: context.logger,
    onEnd: (end) => {
      trail.end({
        outcome: end.outcome,
        status: end.outcome === 'cancelled' ? 499 : 200,
        provider: answering.entry.provider.id,
        model: answering.entry.model,
        usage: end.usage,
        ttftMs,
        error: end.error ? { code: 'stream_interrupted', message: end.error } : undefined,
      });
      context.queue.notify();
    },
  });
  return new Response(body, { status: 200, headers });
}
