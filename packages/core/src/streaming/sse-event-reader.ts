import { createParser, type EventSourceParser } from 'eventsource-parser';
import { interpret, type StreamRead } from './read-event.ts';

type ChunkRead = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

/**
 * Reads an upstream SSE body event by event. Bytes are decoded and fed to
 * eventsource-parser in a plain reader loop (comments, keep-alives, CRLF and partial
 * lines are the parser's business), so an event costs no stream hops of its own. All the
 * events one network chunk holds are parsed at once and wait in {@link buffered}, which
 * lets the relay send them in one write without ever waiting to collect more. A read
 * that times out stays pending, so the next call picks it up instead of racing it.
 */
export class SseEventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #parser: EventSourceParser;
  readonly #queue: StreamRead[] = [];
  #pending: Promise<ChunkRead> | undefined;
  #ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
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

  /** The next event, or how the wait ended (`end`, `broken`, or `timeout` after `timeoutMs` of silence). */
  async read(timeoutMs: number): Promise<StreamRead> {
    for (;;) {
      const ready = this.#queue.shift();
      if (ready) return ready;
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
      if (chunk.done) {
        this.#parser.feed(this.#decoder.decode());
        this.#ended = true;
        continue;
      }
      this.#parser.feed(this.#decoder.decode(chunk.value, { stream: true }));
    }
  }

  /** Stops reading; the upstream body is cancelled. */
  cancel(): Promise<void> {
    this.#ended = true;
    return this.#reader.cancel().catch(() => undefined);
  }
}
