import { createParser, type EventSourceParser } from 'eventsource-parser';
import { isAbortError } from '../errors.ts';
import type { ChunkUsageReader } from './chunk-info.ts';
import type { ChunkRead, ChunkSource } from './chunk-source.ts';
import { interpret, type StreamRead } from './read-event.ts';

const notReady = Symbol('not ready');
const notReadyYet = Promise.resolve(notReady);

/**
 * Reads an upstream SSE body event by event. Bytes are decoded and fed to
 * eventsource-parser in a plain reader loop (comments, keep-alives, CRLF and partial
 * lines are the parser's business), so an event costs no stream hops of its own. All the
 * events one network chunk holds are parsed at once and wait in {@link buffered}, which
 * lets the relay send them in one write without ever waiting to collect more; {@link poll}
 * adds the chunks that have already arrived behind them. A read that times out stays
 * pending, so the next call picks it up instead of racing it.
 */
export class SseEventReader {
  readonly #reader: ChunkSource;
  readonly #decoder = new TextDecoder();
  readonly #parser: EventSourceParser;
  readonly #queue: StreamRead[] = [];
  #pending: Promise<ChunkRead> | undefined;
  #ended = false;

  #overflow: StreamEventTooLargeError | undefined;

  /**
   * `maxEventSize`: the most characters one event (and so one line) may hold while it arrives;
   * `readUsage`: reads usage a provider puts outside a chunk's `usage` (a preset's hook).
   */
  constructor(
    source: ChunkSource,
    options: { maxEventSize?: number | undefined; readUsage?: ChunkUsageReader | undefined } = {},
  ) {
    this.#reader = source;
    const { maxEventSize, readUsage } = options;
    this.#parser = createParser({
      onEvent: (message) => this.#queue.push(interpret(message, readUsage)),
      maxBufferSize: maxEventSize,
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded' && maxEventSize !== undefined)
          this.#overflow = new StreamEventTooLargeError(maxEventSize);
      },
    });
  }

  /** Events parsed and ready without waiting. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Takes one ready event without waiting, if there is one. */
  take(): StreamRead | undefined {
    return this.#queue.shift();
  }

  /**
   * The next event the body already holds, parsing chunks that have arrived, without
   * waiting for the network; `undefined` when nothing more is here yet.
   */
  async poll(): Promise<StreamRead | undefined> {
    for (;;) {
      const ready = this.#queue.shift();
      if (ready) return ready;
      if (this.#ended) return { type: 'end' };
      this.#pending ??= this.#reader.read();
      let chunk: ChunkRead | typeof notReady;
      try {
        // A chunk already queued in the body settles its read at once, so it wins the race.
        chunk = await Promise.race([this.#pending, notReadyYet]);
      } catch (cause) {
        this.#pending = undefined;
        this.#ended = true;
        return { type: 'broken', cause };
      }
      if (chunk === notReady) return undefined;
      this.#pending = undefined;
      this.#consume(chunk);
    }
  }

  /** The next event, or how the wait ended (`end`, `broken`, or `timeout` after `timeoutMs` of silence). */
  async read(timeoutMs: number): Promise<StreamRead> {
    const ready = await this.poll();
    if (ready) return ready;
    for (;;) {
      const parsed = this.#queue.shift();
      if (parsed) return parsed;
      if (this.#ended) return { type: 'end' };
      this.#pending ??= this.#reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      let chunk: ChunkRead | 'timeout';
      try {
        chunk = await Promise.race([this.#pending, timedOut]);
      } catch (cause) {
        this.#pending = undefined;
        this.#ended = true;
        return { type: 'broken', cause };
      } finally {
        clearTimeout(timer);
      }
      if (chunk === 'timeout') return { type: 'timeout' };
      this.#pending = undefined;
      this.#consume(chunk);
    }
  }

  #consume(chunk: ChunkRead): void {
    if (chunk.done) {
      this.#parser.feed(this.#decoder.decode());
      this.#ended = true;
    } else {
      this.#parser.feed(this.#decoder.decode(chunk.value, { stream: true }));
    }
    if (this.#overflow) {
      // The events parsed before the overflow still go out; then the stream counts as broken.
      this.#queue.push({ type: 'broken', cause: this.#overflow });
      this.#ended = true;
    }
  }

  /** Stops reading; the upstream body is cancelled. */
  cancel(): Promise<void> {
    this.#ended = true;
    return this.#reader.cancel().catch(() => undefined);
  }
}

/** An upstream SSE event (or an unterminated line) grew past the limit: an upstream fault. */
export class StreamEventTooLargeError extends Error {
  override name = 'StreamEventTooLargeError';
  constructor(limit: number) {
    super(`an event of the stream grew past ${limit} characters (settings.streamEventLimitBytes)`);
  }
}

/** Why a stream that broke did: the limit it passed, or `fallback` for a plain connection failure. */
export function describeBreak(cause: unknown, fallback: string): string {
  if (cause instanceof StreamEventTooLargeError) return cause.message;
  if (isAbortError(cause)) {
    const message = cause instanceof Error ? cause.message.replace(/\.$/, '') : '';
    return message
      ? `the stream was stopped (${message.charAt(0).toLowerCase()}${message.slice(1)})`
      : 'the stream was stopped';
  }
  return fallback;
}
