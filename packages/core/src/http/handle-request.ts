import { aliasOf } from '../config/model-aliases.ts';
import { isAbortError, RouteNotFoundError, toOpenAIError } from '../errors.ts';
import type { EngineContext } from '../routing/engine-context.ts';
import { RequestTrail } from '../routing/request-trail.ts';
import { runRequest } from '../routing/run-request.ts';
import { createCompletion } from '../surfaces/completions/handle-completions.ts';
import { countTokens, createMessage } from '../surfaces/messages/handle-messages.ts';
import { anthropicError } from '../surfaces/messages/messages-error.ts';
import { createResponse, responseById } from '../surfaces/responses/handle-responses.ts';
import type { SurfaceInput } from '../surfaces/surface-input.ts';
import { isAnthropicRequest, listModels, retrieveModel } from './list-models.ts';
import { parseJsonBody } from './parse-json-body.ts';
import { createRequestId, requestIdHeaders } from './request-id.ts';
import { chatRequestSchema, embeddingsRequestSchema } from './request-schemas.ts';

/** Options of `chain.handle()`. */
export interface HandleOptions {
  /** Id for the request log and the `x-request-id` / `x-429chain-request-id` headers. @default a new time-ordered UUID (version 7) */
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

type Surface = (context: EngineContext, input: SurfaceInput) => Promise<Response>;

interface Route {
  /** Methods served (`HEAD` goes with `GET`). */
  methods: string[];
  /** The engine's own request kinds, validated here and routed at once. */
  kind?: 'chat' | 'embedding';
  /** A translated surface (Responses, Messages, legacy completions). */
  surface?: Surface;
}

const routes: Record<string, Route> = {
  '/v1/chat/completions': { methods: ['POST'], kind: 'chat' },
  '/v1/embeddings': { methods: ['POST'], kind: 'embedding' },
  '/v1/models': { methods: ['GET'] },
  '/v1/responses': { methods: ['POST'], surface: createResponse },
  '/v1/messages': { methods: ['POST'], surface: createMessage },
  '/v1/messages/count_tokens': { methods: ['POST'], surface: (_context, input) => countTokens(input) },
  '/v1/completions': { methods: ['POST'], surface: createCompletion },
};

/**
 * Serves every client surface in-process: `POST /v1/chat/completions`, `/v1/embeddings`,
 * `/v1/responses` (+ `GET`/`DELETE /v1/responses/{id}`), `/v1/messages` (+ `count_tokens`),
 * `/v1/completions`, and `GET /v1/models` (+ `/v1/models/{id}`). Anything else gets a 404 or 405
 * in the caller's dialect (Anthropic's for `/v1/messages` and Anthropic clients, else OpenAI's).
 */
export async function handleRequest(
  context: EngineContext,
  request: Request,
  options: HandleOptions = {},
): Promise<Response> {
  const requestId = options.requestId ?? createRequestId();
  const path = new URL(request.url).pathname.replace(/\/+$/, '');
  const route = routes[path] ?? itemRoute(path);
  if (!route) {
    return dialectError(request, path, new RouteNotFoundError(request.method, path || '/'), requestId);
  }
  const methods = route.methods;
  if (!methods.includes(request.method) && !(methods.includes('GET') && request.method === 'HEAD')) {
    const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
    const response = dialectError(
      request,
      path,
      new RouteNotFoundError(request.method, path, allowed),
      requestId,
    );
    response.headers.set('allow', allowed.join(', '));
    return response;
  }
  const config = context.config();
  if (route.surface) {
    const input: SurfaceInput = {
      request,
      path,
      requestId,
      metadata: options.metadata,
      onAbort: options.onAbort,
    };
    try {
      return await route.surface(context, input);
    } catch (error) {
      if (request.signal.aborted && isAbortError(error)) throw error;
      recordRefusal(context, requestId, options.metadata, error);
      return dialectError(request, path, error, requestId);
    }
  }
  if (!route.kind) {
    const anthropic = isAnthropicRequest(request);
    if (path === '/v1/models') return listModels(config, requestId, anthropic);
    return retrieveModel(config, decodeURIComponent(path.slice('/v1/models/'.length)), requestId, anthropic);
  }

  let body: Record<string, unknown>;
  try {
    body = parseJsonBody(
      await request.text(),
      route.kind === 'chat' ? chatRequestSchema : embeddingsRequestSchema,
    );
  } catch (error) {
    if (request.signal.aborted && isAbortError(error)) throw error;
    recordRefusal(context, requestId, options.metadata, error, route.kind);
    return errorResponse(error, requestId);
  }
  if (config.aliases.length > 0) body.model = aliasOf(config, body.model as string);
  return runRequest(context, {
    body,
    kind: route.kind,
    clientSignal: request.signal,
    requestId,
    metadata: options.metadata,
    onAbort: options.onAbort,
  });
}

/** Routes with an id in the path: `/v1/models/{id}`, `/v1/responses/{id}`. */
function itemRoute(path: string): Route | undefined {
  if (path.startsWith('/v1/models/') && path.length > '/v1/models/'.length) return { methods: ['GET'] };
  const responseId = /^\/v1\/responses\/([^/]+)$/.exec(path)?.[1];
  if (responseId) {
    return {
      methods: ['GET', 'DELETE'],
      surface: (context, input) => responseById(context, input, decodeURIComponent(responseId)),
    };
  }
  return undefined;
}

/** Records a request refused before routing (bad input) as a failed request. */
function recordRefusal(
  context: EngineContext,
  requestId: string,
  metadata: Record<string, string> | undefined,
  error: unknown,
  kind: 'chat' | 'embedding' = 'chat',
): void {
  const trail = new RequestTrail(
    { id: requestId, chain: '-', kind, stream: false, metadata },
    context.events,
    context.now,
  );
  const { status, body: errorBody } = toOpenAIError(error);
  trail.end({
    outcome: 'failed',
    status,
    error: { code: errorBody.error.code ?? 'error', message: errorBody.error.message },
  });
}

/** An error in the caller's dialect: Anthropic's for `/v1/messages…` and Anthropic clients, else OpenAI's. */
export function dialectError(request: Request, path: string, error: unknown, requestId: string): Response {
  if (!path.startsWith('/v1/messages') && !isAnthropicRequest(request))
    return errorResponse(error, requestId);
  const { status, body } = toOpenAIError(error);
  const translated = anthropicError(status, body.error);
  return new Response(JSON.stringify({ ...translated.body, request_id: requestId }), {
    status: translated.status,
    headers: requestIdHeaders(requestId),
  });
}

/** An OpenAI-shaped error response. */
export function errorResponse(error: unknown, requestId: string): Response {
  const { status, body } = toOpenAIError(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      'x-429chain-request-id': requestId,
    },
  });
}

/** An error answer in the dialect of the client surface a request addressed (for servers' own refusals). */
export function errorInDialect(
  request: Request,
  error: unknown,
  requestId: string = createRequestId(),
): Response {
  return dialectError(request, new URL(request.url).pathname, error, requestId);
}
