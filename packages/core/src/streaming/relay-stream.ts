import { isAbortError, StreamInterruptedError } from '../errors.ts';
import type { Logger } from '../events/logger.ts';
import type { TokenUsage } from '../events/request-record.ts';
import { unrefTimer } from '../timers/unref-timer.ts';
import { type AnswerIdentity, ChunkNormalizer, estimateBrokenUsage, wireUsage } from './normalize-chunk.ts';
import type { ParsedEvent, StreamRead } from './read-event.ts';
import { doneEvent, encodeSseData, sseData } from './sse.ts';
import { describeBreak, type SseEventReader } from './sse-event-reader.ts';

const encoder = new TextEncoder();

/** How one upstream stream ended, reported to whoever owns its reservation. */
export interface SourceEnd {
  outcome: 'complete' | 'failed' | 'cancelled';
  usage?: TokenUsage | undefined;
  /** Why it failed. */
  reason?: string | undefined;
}

/** One upstream stream feeding the client: the first entry's, or a continuation's. */
export interface StreamSource {
  reader: SseEventReader;
  /** Events already read (before commit), to send first. */
  buffered: ParsedEvent[];
  /** Aborts the upstream request so its socket closes. */
  abort(): void;
  /** Settles this source's reservation; called exactly once. */
  finish(end: SourceEnd): void;
}

/** How the relay ended, for the request record. */
export interface RelayEnd {
  outcome: 'answered' | 'interrupted' | 'cancelled';
  usage?: TokenUsage | undefined;
  /** The failure that interrupted the answer (the original one, never a continuation's). */
  error?: string | undefined;
  /** Continuations used. */
  continuations: number;
}

/** Options of {@link relayStream}. */
export interface RelayOptions {
  first: StreamSource;
  /** The client asked for `stream_options.include_usage`. */
  clientWantsUsage: boolean;
  /** Longest silence allowed between events (ms). */
  idleTimeoutMs: number;
  /** After a finish reason, how long to wait for usage and `[DONE]` before finishing anyway (ms). */
  finishGraceMs: number;
  /** Move `reasoning_content` into `content`. */
  normalizeReasoning: boolean;
  /** Aborting it cancels the relay (the client of an in-process fetch went away). */
  signal?: AbortSignal | undefined;
  /**
   * What the body does when `signal` aborts: `error` with an AbortError, as a fetch body
   * does, or `close` quietly (a server whose client is already gone). @default 'error'
   */
  onAbort?: 'error' | 'close' | undefined;
  /** Removes provider secrets from error text sent to the client. @default identity */
  redact?: ((text: string) => string) | undefined;
  /**
   * Finds an entry that continues the answer from the text already sent (an assistant
   * prefill). Resolves `undefined` when none can.
   */
  continueWith?: ((prefix: string) => Promise<StreamSource | undefined>) | undefined;
  /** What the answer is named where upstream left it out (answer hygiene, `normalize-chunk.ts`). */
  identity: AnswerIdentity;
  /** The model answering now (named on a continued stream's finishing chunk). */
  answeringModel: () => string;
  /** The prompt's estimated tokens, for the usage of a part that broke before its usage came. */
  promptTokens: () => number;
  onEnd(end: RelayEnd): void;
  logger: Logger;
}

/**
 * Forwards a committed stream to the client event by event, without buffering.
 * It keeps parsing for usage and errors, ends with `[DONE]` only after a complete
 * answer, continues on another entry after a break when one accepts a prefill, and
 * otherwise ends with an in-band error and no `[DONE]`.
 */
export function relayStream(options: RelayOptions): ReadableStream<Uint8Array> {
  let source = options.first;
  let queue: ParsedEvent[] = [...options.first.buffered];
  let forwardedText = '';
  /** Text forwarded from the current source (its count, when it breaks before its usage). */
  let sourceText = '';
  const normalizer = new ChunkNormalizer(options.identity);
  let sawToolCalls = false;
  let finished = false;
  let continuation = false;
  let continuations = 0;
  let continuationStarted = false;
  let sourceUsage: TokenUsage | undefined;
  let totalUsage: TokenUsage | undefined;
  let ended = false;
  let originalFailure: string | undefined;

  const end = (relayEnd: Omit<RelayEnd, 'continuations' | 'usage'>) => {
    if (ended) return;
    ended = true;
    options.signal?.removeEventListener('abort', onAbort);
    options.onEnd({ ...relayEnd, usage: totalUsage, continuations });
  };
  const addUsage = (usage: TokenUsage | undefined) => {
    if (!usage) return;
    totalUsage = totalUsage ? sumUsage(totalUsage, usage) : usage;
  };

  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  const onAbort = () => {
    if (ended) return;
    source.abort();
    source.finish({ outcome: 'cancelled', usage: sourceUsage });
    addUsage(sourceUsage);
    end({ outcome: 'cancelled' });
    try {
      if (options.onAbort === 'close') controllerRef?.close();
      else controllerRef?.error(abortReason(options.signal?.reason));
    } catch {}
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  /** Turns an event into the text to send, or nothing. */
  const render = (event: ParsedEvent): string | undefined => {
    const { info, json } = event;
    if (info.usage) sourceUsage = info.usage;
    if (info.usageOnly && !options.clientWantsUsage) return undefined;
    if (!info.usageOnly) {
      if (continuation && !continuationStarted) {
        if (!info.hasContent) return undefined;
        continuationStarted = true;
      }
      if (info.finishReason) finished = true;
      if (info.hasToolCalls) sawToolCalls = true;
      forwardedText += info.text;
      sourceText += info.text;
    }
    let rewritten = normalizer.apply(json, continuation);
    if (continuation) {
      // The whole answer's usage: the broken parts' counts (or estimates) plus this one's.
      if (info.usage && totalUsage) {
        json.usage = wireUsage(sumUsage(totalUsage, info.usage));
        rewritten = true;
      }
      if (info.finishReason) {
        normalizer.markFinish(json, options.answeringModel());
        rewritten = true;
      }
    }
    if (options.normalizeReasoning && moveReasoningToContent(json)) rewritten = true;
    return sseData(rewritten ? JSON.stringify(json) : event.data);
  };

  /**
   * Handles a break after commit: continue elsewhere, or end with an in-band error. A stream
   * the engine stopped (the chain is closing) is not continued: it ends in-band at once.
   */
  const fail = async (
    controller: ReadableStreamDefaultController<Uint8Array>,
    reason: string,
    stopped = false,
  ) => {
    source.abort();
    source.finish({ outcome: 'failed', reason, usage: sourceUsage });
    addUsage(sourceUsage ?? estimateBrokenUsage(options.promptTokens(), sourceText));
    sourceUsage = undefined;
    sourceText = '';
    originalFailure ??= reason;
    if (options.continueWith && !sawToolCalls && !ended && !stopped) {
      const next = await options.continueWith(forwardedText).catch((error: unknown) => {
        options.logger.warn('continuation failed', { error: String(error) });
        return undefined;
      });
      if (ended) {
        next?.abort();
        next?.finish({ outcome: 'cancelled' });
        return;
      }
      if (next) {
        source = next;
        queue = [...next.buffered];
        continuation = true;
        continuationStarted = false;
        continuations++;
        return;
      }
    }
    const error = new StreamInterruptedError(
      `The answer was interrupted: ${originalFailure}. The text so far is incomplete.`,
    );
    controller.enqueue(
      encodeSseData((options.redact ?? ((text: string) => text))(JSON.stringify(error.toJSON()))),
    );
    controller.close();
    end({ outcome: 'interrupted', error: originalFailure });
  };

  const complete = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    release(source, options.finishGraceMs);
    source.finish({ outcome: 'complete', usage: sourceUsage });
    addUsage(sourceUsage);
    controller.enqueue(doneEvent);
    controller.close();
    end({ outcome: 'answered' });
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
    },
    async pull(controller) {
      // Events that are already here go out together in one write; nothing waits to be
      // collected. A pull that returns without enqueueing is never called again, so after a
      // failure that switched to a continuation the loop goes on to send the continuation.
      // Encoded once per write, not once per event.
      let parts = '';
      const flush = () => {
        if (parts === '') return;
        controller.enqueue(encoder.encode(parts));
        parts = '';
      };
      for (;;) {
        if (ended) return;
        const next = queue.shift();
        if (next) {
          const text = render(next);
          if (text) parts += text;
          continue;
        }
        let ready = source.reader.take();
        if (!ready && parts !== '') {
          // What the body already holds goes out in the same write; nothing waits for more.
          ready = await source.reader.poll();
          if (ended) return;
          if (!ready) return flush();
        }
        const read =
          ready ?? (await source.reader.read(finished ? options.finishGraceMs : options.idleTimeoutMs));
        if (ended) return;
        if (read.type === 'event') {
          queue.push(read.event);
          continue;
        }
        if (read.type === 'invalid') {
          options.logger.warn('dropped a non-JSON stream event', { data: read.data.slice(0, 200) });
          continue;
        }
        flush();
        if (read.type !== 'error' && finished) return complete(controller);
        const stopped = read.type === 'broken' && isAbortError(read.cause);
        await fail(controller, failureReason(read, options.idleTimeoutMs), stopped);
      }
    },
    cancel() {
      if (ended) return;
      source.abort();
      source.finish({ outcome: 'cancelled', usage: sourceUsage });
      addUsage(sourceUsage);
      end({ outcome: 'cancelled' });
    },
  });
}

/** Why a stream that had not finished stopped. */
function failureReason(
  read: Exclude<StreamRead, { type: 'event' | 'invalid' }>,
  idleTimeoutMs: number,
): string {
  switch (read.type) {
    case 'done':
      return 'the stream sent [DONE] without a finish_reason';
    case 'end':
      return 'the stream was cut before a finish_reason';
    case 'timeout':
      return `the stream stalled for ${idleTimeoutMs} ms`;
    case 'broken':
      return describeBreak(read.cause, 'the connection broke mid-stream');
    case 'error':
      return `in-band error: ${describeError(read.error)}`;
  }
}

function abortReason(reason: unknown): unknown {
  return reason instanceof Error
    ? reason
    : new DOMException(String(reason ?? 'The request was aborted.'), 'AbortError');
}

/**
 * Lets go of a source whose answer is complete. Its body has almost always ended by then (the
 * connection goes back to the pool as it is); aborting it anyway cost a DOMException and an abort
 * event through every signal that follows the attempt's. Only a body that sends more, fails, or
 * stays open past the grace period is aborted, so no upstream socket is left open.
 */
function release(source: StreamSource, graceMs: number): void {
  const timer = unrefTimer(setTimeout(() => source.abort(), graceMs));
  source.reader.read(graceMs).then((read) => {
    clearTimeout(timer);
    if (read.type !== 'end') source.abort();
  });
}

function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message.slice(0, 300);
  }
  return String(error).slice(0, 300);
}

/** Moves reasoning text into `content` (the v1 `normalizeResponses` option). */
export function moveReasoningToContent(json: Record<string, unknown>): boolean {
  const choices = Array.isArray(json.choices) ? json.choices : [];
  let changed = false;
  for (const choice of choices) {
    if (typeof choice !== 'object' || choice === null) continue;
    const record = choice as Record<string, unknown>;
    const part = (record.delta ?? record.message) as Record<string, unknown> | undefined;
    if (!part || typeof part !== 'object') continue;
    const reasoning = part.reasoning_content ?? part.reasoning;
    if (typeof reasoning === 'string' && reasoning.length > 0 && !part.content) {
      part.content = reasoning;
      delete part.reasoning_content;
      delete part.reasoning;
      changed = true;
    }
  }
  return changed;
}

function sumUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}
