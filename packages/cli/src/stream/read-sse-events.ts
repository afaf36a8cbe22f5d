import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field. @default 'message' */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
}

/**
 * Reads Server-Sent Events from a response body as they arrive, with eventsource-parser
 * (the parser core uses): CRLF and LF, events split across chunks, several `data:` lines,
 * comments (`:`). A last event without its blank line is still delivered.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const ready: SseEvent[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) =>
      ready.push({ event: message.event ?? 'message', data: message.data }),
  });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    yield* ready.splice(0);
  }
  // Ends the last line and the last event, as if the stream had closed them.
  parser.feed(`${decoder.decode()}\n\n`);
  yield* ready.splice(0);
}
