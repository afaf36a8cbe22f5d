import type { ResolvedChain } from '../config/resolve-config.ts';
import {
  ChainClosedError,
  type ChainError,
  ChainExhaustedError,
  isAbortError,
  ProviderHTTPError,
  toOpenAIError,
} from '../errors.ts';
import { waitForCapacity } from '../queue/wait-for-capacity.ts';
import type { Turn } from '../queue/wait-queue.ts';
import { estimateEmbeddingTokens, estimatePromptTokens } from '../rate-limit/estimate-tokens.ts';
import { answerIdentity, noteUpstreamId } from '../streaming/answer-identity.ts';
import { fillAnswerFields } from '../streaming/normalize-chunk.ts';
import { moveReasoningToContent, relayStream, type StreamSource } from '../streaming/relay-stream.ts';
import { attemptCandidate, type CandidateResult } from './attempt-candidate.ts';
import { type Candidate, candidatesOf } from './candidate.ts';
import type { EngineContext } from './engine-context.ts';
import { exhaustionOf, retryHeaders } from './exhaustion.ts';
import { failurePolicy } from './failure-policy.ts';
import { orderExpiringFirst } from './order-candidates.ts';
import { RequestTrail } from './request-trail.ts';
import { type Requirements, requirementsOf, unmetRequirement } from './requirements.ts';
import { rewriteForProvider } from './rewrite-for-provider.ts';
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
  if (error instanceof ChainExhaustedError) Object.assign(headers, retryHeaders(error, now));
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
  const state: ChainPassState = {
    candidates: candidatesOf(chain, context.rotation),
    excluded: new Map(),
    waited: new Set(),
    smallestFailedWindow: undefined,
    turn: undefined,
    woken: false,
    /** Prompt estimate, plus max_tokens where the provider charges it up front (trap 11). */
    tokenCost: (candidate) =>
      needs
        ? needs.promptTokens +
          (candidate.entry.provider.preset.chargesMaxTokensUpfront ? (needs.completionTokens ?? 0) : 0)
        : embeddingTokens,
  };
  let queueDeadline: number | undefined;
  try {
    for (;;) {
      const pass = await tryCandidates(context, { input, chain, trail, stream, needs, state });
      if (pass.type === 'answer') return pass.response;
      const rateLimited = pass.allRateLimited && state.candidates.length > 0;
      if (rateLimited && settings.queueMode) {
        queueDeadline ??= context.now() + settings.queueMaxWaitMs;
        // A request woken once keeps its place at the head of the queue.
        const rejoin = state.woken;
        releaseTurn(state, false);
        const turn = await waitForCapacity(context, {
          requestId: input.requestId,
          chain: chain.name,
          trail,
          until: pass.earliest,
          deadline: queueDeadline,
          signal: input.clientSignal,
          rejoin,
        });
        if (turn) {
          state.turn = turn;
          state.woken = true;
          continue;
        }
      }
      const attempted = trail.attempts.some((attempt) => attempt.outcome === 'failed');
      throw new ChainExhaustedError({
        chain: chain.name,
        attempts: trail.summaries(),
        ...exhaustionOf({
          trail,
          rateLimited,
          attempted,
          earliest: pass.earliest,
          now: context.now(),
          clientRetryMaxWaitMs: settings.clientRetryMaxWaitMs,
        }),
      });
    }
  } finally {
    releaseTurn(state, false);
  }
}

/** What one request carries from one pass over its chain to the next. */
interface ChainPassState {
  candidates: Candidate[];
  /** Entries this request must not try again, with why. */
  excluded: Map<string, string>;
  /** Candidates whose near reset this request already waited out once. */
  waited: Set<Candidate>;
  /** The largest context window that already overflowed. */
  smallestFailedWindow: number | undefined;
  /** The queue turn this request holds, if it was woken from the queue. */
  turn: Turn | undefined;
  /** Whether it was ever woken from the queue (it then rejoins at the head). */
  woken: boolean;
  tokenCost: (candidate: Candidate) => number;
}

/** How one pass over the chain ended. */
type PassResult =
  | { type: 'answer'; response: Response }
  | {
      type: 'none';
      /** Every candidate was out for rate limits (not faults): a 429, or a wait in the queue. */
      allRateLimited: boolean;
      /** The earliest time a rate-limited candidate is expected back. */
      earliest: number | undefined;
    };

/**
 * Passes a queue turn on: at once when the request found capacity it knows, or reports that
 * it found none. A probe's turn is passed on only when its answer arrives.
 */
function releaseTurn(state: ChainPassState, foundCapacity: boolean): void {
  state.turn?.done(foundCapacity);
  state.turn = undefined;
}

/** One pass over the chain's candidates (in the order its strategy gives), until one answers. */
async function tryCandidates(
  context: EngineContext,
  pass: {
    input: RunInput;
    chain: ResolvedChain;
    trail: RequestTrail;
    stream: boolean;
    needs: Requirements | undefined;
    state: ChainPassState;
  },
): Promise<PassResult> {
  const { input, chain, trail, stream, needs, state } = pass;
  const settings = context.config().settings;
  const deadline = context.now() + settings.requestBudgetMs;
  let allRateLimited = true;
  let earliest: number | undefined;
  const noteUntil = (until: number | undefined) => {
    if (until !== undefined) earliest = earliest === undefined ? until : Math.min(earliest, until);
  };
  const candidates = await orderOf(context, chain, state.candidates);
  // A probe holds the queue turn until its answer arrives: then the next waiter may go.
  let probing = false;
  const answered = () => {
    if (probing) releaseTurn(state, true);
    probing = false;
  };

  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index]!;
    if (context.shutdown.aborted) throw new ChainClosedError();
    const unmet =
      (needs && unmetRequirement(candidate.entry, needs)) ??
      state.excluded.get(candidate.scopes.entry) ??
      windowTooSmall(candidate, state.smallestFailedWindow) ??
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
      estimatedTokens: state.tokenCost(candidate),
      clientSignal: input.clientSignal,
      deadline,
      onReserved: (lease) => {
        if (lease.probes.length === 0) releaseTurn(state, true);
        else probing = state.turn !== undefined;
      },
    });

    switch (result.type) {
      case 'skipped':
        if (result.skip.rateLimited) noteUntil(result.skip.until);
        else allRateLimited = false;
        break;
      case 'answered':
        answered();
        return { type: 'answer', response: answerJson(context, trail, candidate, result) };
      case 'committed':
        answered();
        return {
          type: 'answer',
          response: answerStream(context, { input, trail, candidates, index, committed: result }),
        };
      case 'failed': {
        answered();
        const kind = result.failure.kind;
        const policy = failurePolicy[kind];
        if (policy.next === 'answer') {
          return {
            type: 'answer',
            response: failWith(trail, providerError(candidate, result), context.now()),
          };
        }
        if (policy.rateLimited) {
          const until = result.until;
          const waitable =
            policy.waitable &&
            settings.retryWaitMs > 0 &&
            until !== undefined &&
            until - context.now() <= settings.retryWaitMs &&
            until < deadline &&
            !state.waited.has(candidate);
          if (waitable) {
            state.waited.add(candidate);
            await sleep(Math.max(0, until - context.now()), input.clientSignal);
            index--;
            continue;
          }
          noteUntil(until);
          break;
        }
        allRateLimited = false;
        if (policy.exclude === 'entry') {
          state.excluded.set(candidate.scopes.entry, `excluded: ${result.failure.reason}`);
        }
        if (policy.exclude === 'smaller-windows') {
          state.excluded.set(candidate.scopes.entry, 'excluded: context length exceeded');
          const window = candidate.entry.capabilities.contextWindow;
          if (window !== undefined)
            state.smallestFailedWindow = Math.max(state.smallestFailedWindow ?? 0, window);
        }
        break;
      }
    }
  }
  return { type: 'none', allRateLimited, earliest };
}

/** The candidates in the order the chain's strategy gives for this request. */
async function orderOf(
  context: EngineContext,
  chain: ResolvedChain,
  candidates: Candidate[],
): Promise<Candidate[]> {
  if (chain.strategy !== 'expiring-first' || candidates.length < 2) return candidates;
  try {
    const { snapshot, bucketIds } = await context.tracker.view(candidates);
    return orderExpiringFirst({
      candidates,
      view: snapshot,
      now: context.now(),
      bucketIdsOf: (candidate) => bucketIds.get(candidate) ?? [],
    });
  } catch (error) {
    context.logger.error('rate-limit store failed', {
      error: error instanceof Error ? error.message : String(error),
    });
    return candidates;
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
  return rewriteForProvider(upstream, candidate);
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
  noteUpstreamId(trail, result.json.id);
  const filled = fillAnswerFields(
    result.json,
    answerIdentity(trail.identity.id, candidate.entry.model, context.now()),
  );
  if ((context.config().settings.normalizeResponses && moveReasoningToContent(result.json)) || filled) {
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
  noteUpstreamId(trail, options.committed.source.buffered[0]?.json.id);
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
    identity: answerIdentity(input.requestId, answering.entry.model, context.now()),
    answeringModel: () => answering.entry.model,
    promptTokens: () => estimatePromptTokens(input.body),
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
