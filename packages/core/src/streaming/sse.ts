import type { EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';

const encoder = new TextEncoder();

/** Parses an upstream body into SSE events (comments, keep-alives, CRLF and partial lines handled). */
export function sseEventsOf(body: ReadableStream<Uint8Array>): ReadableStream<EventSourceMessage> {
  return body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream());
}

/** Encodes one `data:` event. */
export function encodeSseData(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

/** The `data: [DONE]` terminator, sent only after a complete answer. */
export const doneEvent: Uint8Array = encoder.encode('data: [DONE]\n\n');
