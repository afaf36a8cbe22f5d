import { createParser, type EventSourceParser } from 'eventsource-parser';
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

  constructor(source: ChunkSource) {
    this.#reader = source;
    this.#parser = createParser({ onEvent: (message) => this.#queue.push(interpret(message)) });
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
      return;
    }
    this.#parser.feed(this.#decoder.decode(chunk.value, { stream: true }));
  }

  /** Stops reading; the upstream body is cancelled. */
  cancel(): Promise<void> {
    this.#ended = true;
    return this.#reader.cancel().catch(() => undefined);
  }
}
