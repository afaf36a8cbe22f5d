import type { z } from 'zod';
import { formatPath } from '../config/parse-config.ts';
import { InvalidRequestError } from '../errors.ts';

/** Parses a request body and validates it; throws an {@link InvalidRequestError} naming the field. */
export function parseJsonBody<Schema extends z.ZodType>(
  text: string,
  schema: Schema,
): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError(`The request body is not valid JSON: ${detail}`, { code: 'invalid_json' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = formatPath(issue.path);
    const missing = getPath(body, issue.path) === undefined;
    const message = missing
      ? `Missing required parameter: '${param}'.`
      : `Invalid value for '${param}': ${issue.message.replace(/^Invalid input: /, '')}.`;
    throw new InvalidRequestError(message, {
      code: missing ? 'missing_required_parameter' : 'invalid_value',
      param,
    });
  }
  return body as Record<string, unknown>;
}

function getPath(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}
