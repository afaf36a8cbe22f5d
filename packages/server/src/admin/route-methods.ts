import type { Handler, Hono } from 'hono';
import { z } from 'zod';
import type { AppEnvironment } from '../http/create-app.ts';
import { httpError, openAIErrorResponse } from '../http/openai-error.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Registers handlers for a path, and an OpenAI-shaped 405 (with `Allow`) for every other method. */
export function route(
  app: Hono<AppEnvironment>,
  path: string,
  handlers: Partial<Record<Method, Handler<AppEnvironment>>>,
): void {
  const allowed = Object.keys(handlers) as Method[];
  for (const method of allowed) app.on(method, path, handlers[method]!);
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

/** Reads a JSON object body, or throws an OpenAI-shaped 400. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
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
  return value as Record<string, unknown>;
}

/** Runs a query that validates with zod; a validation error becomes an OpenAI-shaped 400 naming the field. */
export function withValidQuery<Result>(run: () => Result): Result {
  try {
    return run();
  } catch (error) {
    if (error instanceof z.ZodError) {
      const issue = error.issues[0]!;
      const param = issue.path.join('.') || undefined;
      throw httpError(
        400,
        'invalid_value',
        `Invalid query parameter ${param ?? ''}: ${issue.message}`.replace('  ', ' '),
        {
          param,
        },
      );
    }
    throw error;
  }
}
