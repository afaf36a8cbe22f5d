import { formatPath, jsonDepthLimit, pathDeeperThan } from '@429chain/core';
import type { Context, Handler, Hono } from 'hono';
import { z } from 'zod';
import type {
  Endpoint,
  EndpointBodyOf,
  EndpointMethod,
  EndpointParamsOf,
  EndpointQueryOf,
  EndpointReplyOf,
} from '../admin-api/endpoint.ts';
import type { AppEnvironment } from '../http/create-app.ts';
import { httpError, openAIErrorResponse } from '../http/openai-error.ts';

/** What an endpoint's handler receives: its body, query and path parameters, validated. */
export interface EndpointRequest<Declared extends Endpoint> {
  body: EndpointBodyOf<Declared>;
  query: EndpointQueryOf<Declared>;
  params: EndpointParamsOf<Declared>;
  /** The Hono context (for the raw request, its signal, and streaming answers). */
  c: Context<AppEnvironment>;
  /** Builds a JSON answer: one of the endpoint's statuses, with a body its schema describes. */
  reply: EndpointReplier<Declared>;
}

/** The typed `reply` of an endpoint's handler. */
export type EndpointReplier<Declared extends Endpoint> = <Status extends EndpointReplyOf<Declared>['status']>(
  status: Status,
  body: Extract<EndpointReplyOf<Declared>, { status: Status }>['body'],
) => EndpointReplyOf<Declared>;

const reply = (status: number, body: unknown): { status: number; body: unknown } => ({ status, body });

/** An endpoint's handler: a JSON answer its schemas describe (checked by the compiler), or a Response. */
export type EndpointHandler<Declared extends Endpoint> = (
  request: EndpointRequest<Declared>,
) => EndpointReplyOf<Declared> | Response | Promise<EndpointReplyOf<Declared> | Response>;

/** An endpoint with its handler, ready to mount. */
export interface ServedEndpoint {
  endpoint: Endpoint;
  handler: Handler<AppEnvironment>;
}

/**
 * Binds a handler to its endpoint: the body is parsed with the endpoint's schema (or, for a
 * config edit, handed over as the JSON object it is), the query with its query schema, and a
 * problem with either is an OpenAI-shaped 400 naming the field.
 */
export function serveEndpoint<Declared extends Endpoint>(
  endpoint: Declared,
  handle: EndpointHandler<Declared>,
): ServedEndpoint {
  const paramNames = Object.keys(endpoint.params ?? {});
  const handler: Handler<AppEnvironment> = async (c) => {
    let body: unknown;
    if (endpoint.body) {
      const object = await readJsonObject(c.req.raw);
      if (endpoint.body.validatedBy === 'schema') {
        const parsed = endpoint.body.schema.safeParse(object);
        if (!parsed.success) throw invalidInput('body', parsed.error);
        body = parsed.data;
      } else body = object;
    }
    let query: unknown;
    if (endpoint.query) {
      const parsed = endpoint.query.safeParse(c.req.query());
      if (!parsed.success) throw invalidInput('query', parsed.error);
      query = parsed.data;
    }
    const params = Object.fromEntries(paramNames.map((name) => [name, c.req.param(name) ?? '']));
    let answer: { status: number; body: unknown } | Response;
    try {
      answer = (await handle({ body, query, params, c, reply } as unknown as EndpointRequest<Declared>)) as
        | { status: number; body: unknown }
        | Response;
    } catch (error) {
      // The query's own checks that need the data (a range too long for its buckets).
      if (endpoint.query && error instanceof z.ZodError) throw invalidInput('query', error);
      throw error;
    }
    if (answer instanceof Response) return answer;
    return c.json(answer.body, answer.status as 200);
  };
  return { endpoint, handler };
}

/** Mounts endpoints, and for each of their paths an OpenAI-shaped 405 (with `Allow`) for every other method. */
export function mountEndpoints(app: Hono<AppEnvironment>, served: readonly ServedEndpoint[]): void {
  const byPath = new Map<string, ServedEndpoint[]>();
  for (const item of served)
    byPath.set(item.endpoint.path, [...(byPath.get(item.endpoint.path) ?? []), item]);
  for (const [path, items] of byPath) {
    const allowed: EndpointMethod[] = items.map((item) => item.endpoint.method);
    for (const item of items) app.on(item.endpoint.method, path, item.handler);
    app.all(path, (c) =>
      openAIErrorResponse(
        httpError(
          405,
          'method_not_allowed',
          `Method ${c.req.method} is not allowed on ${c.req.path}. Allowed: ${allowed.join(', ')}.`,
        ),
        { allow: allowed.join(', ') },
      ),
    );
  }
}

/** Reads a JSON object body (an empty body is `{}`), or throws an OpenAI-shaped 400. */
async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : {};
  } catch (error) {
    throw httpError(
      400,
      'invalid_json',
      `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw httpError(400, 'invalid_json', 'The request body must be a JSON object.');
  }
  // Config edits clone and render the body recursively: a hostile depth would overflow the stack.
  const tooDeep = pathDeeperThan(value, jsonDepthLimit);
  if (tooDeep !== undefined) {
    throw httpError(
      400,
      'invalid_json',
      `The request body nests deeper than ${jsonDepthLimit} levels (at '${formatPath(tooDeep)}').`,
      { param: formatPath(tooDeep.slice(0, 1)) || undefined },
    );
  }
  return value as Record<string, unknown>;
}

/** A validation error as an OpenAI-shaped 400 naming the first field at fault. */
function invalidInput(where: 'body' | 'query', error: z.ZodError) {
  const issue = error.issues[0]!;
  const param = issue.path.join('.') || undefined;
  const what = where === 'query' ? 'query parameter' : 'body field';
  return httpError(
    400,
    'invalid_value',
    param === undefined ? `Invalid ${where}: ${issue.message}` : `Invalid ${what} ${param}: ${issue.message}`,
    { param },
  );
}
