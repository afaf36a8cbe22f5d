import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Reads a Server-Sent Events body (from `fetch`, which can send the Authorization
 * header that `EventSource` cannot) and calls `onEvent` for each event. Resolves
 * when the stream ends; rejects when it fails or `signal` aborts.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: EventSourceMessage) => void,
  signal?: AbortSignal,
): Promise<void> {
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    signal?.throwIfAborted();
  } finally {
    signal?.removeEventListener('abort', cancel);
    try {
      reader.releaseLock();
    } catch {
      // Already released.
    }
  }
}
