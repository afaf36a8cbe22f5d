import type { OpenAIErrorBody } from '../errors.ts';
import type { EngineContext } from '../routing/engine-context.ts';
import { runRequest } from '../routing/run-request.ts';
import type { SurfaceInput } from './surface-input.ts';

/** The engine's answer to a translated request, read back by a surface. */
export type EngineAnswer =
  | { type: 'json'; status: number; headers: Headers; json: Record<string, unknown> }
  | { type: 'error'; status: number; headers: Headers; error: OpenAIErrorBody['error'] }
  | { type: 'stream'; status: number; headers: Headers; body: ReadableStream<Uint8Array> };

/**
 * Runs a surface's translated chat body through the engine and reads the answer back. The
 * request record is labelled with the surface and with what the translation left out.
 */
export async function runTranslated(
  context: EngineContext,
  input: SurfaceInput,
  chat: Record<string, unknown>,
  labels: { surface: string; dropped?: string[] | undefined },
): Promise<EngineAnswer> {
  const metadata: Record<string, string> = { ...input.metadata, surface: labels.surface };
  if (labels.dropped && labels.dropped.length > 0) metadata.dropped = labels.dropped.join(', ');
  return readEngineAnswer(
    await runRequest(context, {
      body: chat,
      kind: 'chat',
      clientSignal: input.request.signal,
      requestId: input.requestId,
      metadata,
      onAbort: input.onAbort,
    }),
  );
}

/** Reads what `runRequest` answered: a completion, an OpenAI-shaped error, or an event stream. */
export async function readEngineAnswer(response: Response): Promise<EngineAnswer> {
  const headers = new Headers(response.headers);
  headers.delete('content-type');
  headers.delete('content-length');
  const contentType = response.headers.get('content-type') ?? '';
  if (response.status === 200 && contentType.startsWith('text/event-stream') && response.body) {
    return { type: 'stream', status: 200, headers, body: response.body };
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  if (response.status !== 200 || (json.error && typeof json.error === 'object')) {
    const error = (json.error ?? {}) as OpenAIErrorBody['error'];
    return {
      type: 'error',
      status: response.status === 200 ? 502 : response.status,
      headers,
      error: {
        ...error,
        message: typeof error.message === 'string' ? error.message : 'The request failed.',
        type: typeof error.type === 'string' ? error.type : 'api_error',
        code: typeof error.code === 'string' ? error.code : null,
        param: typeof error.param === 'string' ? error.param : null,
      },
    };
  }
  return { type: 'json', status: 200, headers, json };
}

/** A JSON response with the engine's headers (trail, request id, retry hints) kept. */
export function jsonResponse(body: unknown, status: number, headers: Headers): Response {
  const out = new Headers(headers);
  out.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status, headers: out });
}

/** An event-stream response with the engine's headers kept. */
export function streamResponse(body: ReadableStream<Uint8Array>, headers: Headers): Response {
  const out = new Headers(headers);
  out.set('content-type', 'text/event-stream; charset=utf-8');
  out.set('cache-control', 'no-cache');
  return new Response(body, { status: 200, headers: out });
}
