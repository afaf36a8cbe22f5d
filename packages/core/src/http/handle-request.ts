import { isAbortError, RouteNotFoundError, toOpenAIError } from '../errors.ts';
import type { EngineContext } from '../routing/engine-context.ts';
import { RequestTrail } from '../routing/request-trail.ts';
import { runRequest } from '../routing/run-request.ts';
import { listModels } from './list-models.ts';
import { parseJsonBody } from './parse-json-body.ts';
import { createRequestId } from './request-id.ts';
import { chatRequestSchema, embeddingsRequestSchema } from './request-schemas.ts';

/** Options of `chain.handle()`. */
export interface HandleOptions {
  /** Id for the request log and the `x-429chain-request-id` header. @default a new time-ordered UUID (version 7) */
  requestId?: string | undefined;
  /** Labels recorded with the request (e.g. the client key's name). */
  metadata?: Record<string, string> | undefined;
  /**
   * What a streamed body does when the request's signal aborts: `error` (fetch semantics)
   * or `close` (for servers: their client is already gone, and an errored body would be
   * logged as a failure). @default 'error'
   */
  onAbort?: 'error' | 'close' | undefined;
}

const routes: Record<string, { method: string; kind?: 'chat' | 'embedding' }> = {
  '/v1/chat/completions': { method: 'POST', kind: 'chat' },
  '/v1/embeddings': { method: 'POST', kind: 'embedding' },
  '/v1/models': { method: 'GET' },
};

/**
 * Serves the OpenAI API in-process: `POST /v1/chat/completions`, `POST /v1/embeddings`
 * and `GET /v1/models`. Anything else gets an OpenAI-shaped 404 or 405.
 */
export async function handleRequest(
  context: EngineContext,
  request: Request,
  options: HandleOptions = {},
): Promise<Response> {
  const requestId = options.requestId ?? createRequestId();
  const path = new URL(request.url).pathname.replace(/\/+$/, '');
  const route = routes[path];
  if (!route) return errorResponse(new RouteNotFoundError(request.method, path || '/'), requestId);
  if (request.method !== route.method && !(route.method === 'GET' && request.method === 'HEAD')) {
    const allowed = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
    const response = errorResponse(new RouteNotFoundError(request.method, path, allowed), requestId);
    response.headers.set('allow', allowed.join(', '));
    return response;
  }
  if (!route.kind) return listModels(context.config(), requestId);

  let body: Record<string, unknown>;
  try {
    body = parseJsonBody(
      await request.text(),
      route.kind === 'chat' ? chatRequestSchema : embeddingsRequestSchema,
    );
  } catch (error) {
    if (request.signal.aborted && isAbortError(error)) throw error;
    const trail = new RequestTrail(
      { id: requestId, chain: '-', kind: route.kind, stream: false, metadata: options.metadata },
      context.events,
      context.now,
    );
    const { status, body: errorBody } = toOpenAIError(error);
    trail.end({
      outcome: 'failed',
      status,
      error: { code: errorBody.error.code ?? 'error', message: errorBody.error.message },
    });
    return errorResponse(error, requestId);
  }
  return runRequest(context, {
    body,
    kind: route.kind,
    clientSignal: request.signal,
    requestId,
    metadata: options.metadata,
    onAbort: options.onAbort,
  });
}

/** An OpenAI-shaped error response. */
export function errorResponse(error: unknown, requestId: string): Response {
  const { status, body } = toOpenAIError(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-429chain-request-id': requestId },
  });
}
