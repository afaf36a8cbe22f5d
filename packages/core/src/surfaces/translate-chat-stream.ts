import { createParser } from 'eventsource-parser';

const encoder = new TextEncoder();

/** What the engine's chat-completions stream said, read back at a surface's edge. */
export interface ChatStreamTranslator {
  /** Events sent before the first chunk (e.g. `response.created`, `message_start`). */
  start?(): string;
  /** One `chat.completion.chunk` (usage chunks included: surfaces always ask for usage). */
  chunk(chunk: Record<string, unknown>): string;
  /** `data: [DONE]`: the answer is complete. */
  done(): string;
  /** An in-band error (the stream broke after commit and could not be continued). */
  error(error: { message: string; code: string; type: string }): string;
  /** The body ended without `[DONE]` or an error: an incomplete answer. */
  cut(): string;
}

/** One named SSE event, as Anthropic and the Responses API send them. */
export function namedEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Turns the engine's chat-completions event stream into another surface's events. The
 * engine's stream is read back event by event as it arrives (nothing is collected), so the
 * streaming commit rules, failover and continuation stay the engine's; a client that goes
 * away cancels the engine's stream and with it the upstream request.
 */
export function translateChatStream(
  body: ReadableStream<Uint8Array>,
  translator: ChatStreamTranslator,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let out = '';
  let finished = false;
  const parser = createParser({
    onEvent(message) {
      if (finished) return;
      const data = message.data;
      if (data === '[DONE]') {
        finished = true;
        out += translator.done();
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        return;
      }
      if (typeof json !== 'object' || json === null) return;
      const record = json as Record<string, unknown>;
      if (record.error && typeof record.error === 'object') {
        finished = true;
        const error = record.error as Record<string, unknown>;
        out += translator.error({
          message: String(error.message ?? 'the answer was interrupted'),
          code: String(error.code ?? 'stream_interrupted'),
          type: String(error.type ?? 'api_error'),
        });
        return;
      }
      out += translator.chunk(record);
    },
  });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const first = translator.start?.();
      if (first) controller.enqueue(encoder.encode(first));
    },
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          parser.feed(decoder.decode());
          if (!finished) {
            finished = true;
            out += translator.cut();
          }
          if (out) controller.enqueue(encoder.encode(out));
          out = '';
          controller.close();
          return;
        }
        parser.feed(decoder.decode(value, { stream: true }));
        if (out) {
          controller.enqueue(encoder.encode(out));
          out = '';
          return;
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
