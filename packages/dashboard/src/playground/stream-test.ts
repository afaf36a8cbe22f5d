import type { RequestRecord, TestAnswer } from '@429chain/server/admin-api';
import { adminFetch } from '../api/admin-client.ts';
import { readSse } from '../api/read-sse.ts';

/** What the playground sends: a chain, or one entry. */
export type TestTarget = { chain: string } | { provider: string; model: string };

/** Callbacks of {@link streamTest}, in the order things happen. */
export interface StreamTestHandlers {
  /** A piece of the answer. */
  onText(text: string): void;
  /** An in-band error inside the stream (the answer is incomplete). */
  onStreamError(message: string): void;
  /** The request's record with its attempt trail (after the last chunk). */
  onRecord(record: RequestRecord): void;
  /** No entry could answer: the server answered with JSON instead of a stream. */
  onFailure(answer: TestAnswer): void;
}

/**
 * `POST /api/test` with `stream: true`, read with fetch (EventSource cannot send the
 * Authorization header): `data:` chunks in OpenAI's format, then `event: record`.
 */
export async function streamTest(
  body: TestTarget & { prompt: string },
  handlers: StreamTestHandlers,
  signal: AbortSignal,
): Promise<void> {
  const response = await adminFetch('/api/test', {
    method: 'POST',
    json: { ...body, stream: true },
    signal,
    // The headers come with the first content, once an entry answers: as long as routing takes.
    timeoutMs: false,
  });
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') || !response.body) {
    handlers.onFailure((await response.json()) as TestAnswer);
    return;
  }
  await readSse(
    response.body,
    (event) => {
      if (event.event === 'record') {
        handlers.onRecord(JSON.parse(event.data) as RequestRecord);
        return;
      }
      if (event.data === '[DONE]') return;
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(event.data) as ChatChunk;
      } catch {
        return;
      }
      if (event.event === 'error' || chunk.error) {
        handlers.onStreamError(chunk.error?.message ?? 'The stream reported an error.');
        return;
      }
      const content = chunk.choices?.[0]?.delta?.content;
      if (typeof content === 'string' && content) handlers.onText(content);
    },
    signal,
  );
}

interface ChatChunk {
  choices?: Array<{ delta?: { content?: unknown } }>;
  error?: { message?: string };
}
