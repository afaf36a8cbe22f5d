import type { z } from 'zod';
import { formatPath } from '../config/parse-config.ts';
import { InvalidRequestError } from '../errors.ts';

/**
 * Deepest nesting of objects and arrays accepted in a request body. JSON.parse takes any
 * depth, but everything after it that walks the body recursively (JSON.stringify on the way
 * upstream among them) overflows the stack a few thousand levels down.
 */
export const jsonDepthLimit = 128;

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
  const tooDeep = pathDeeperThan(body, jsonDepthLimit);
  if (tooDeep !== undefined) {
    throw new InvalidRequestError(
      `The request body nests deeper than ${jsonDepthLimit} levels (at '${formatPath(tooDeep)}').`,
      { code: 'invalid_json', param: formatPath(tooDeep.slice(0, 1)) || undefined },
    );
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

/**
 * The path of the first value nested deeper than `limit` (the body itself is level 1), or
 * undefined. Iterative, so a hostile depth cannot overflow the stack here either; a path is
 * built only for the value that is too deep.
 */
export function pathDeeperThan(value: unknown, limit: number): PropertyKey[] | undefined {
  interface Frame {
    value: object;
    depth: number;
    parent: Frame | undefined;
    key: PropertyKey;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > limit) {
      const path: PropertyKey[] = [];
      for (let at: Frame | undefined = frame; at?.parent !== undefined; at = at.parent) path.unshift(at.key);
      return path;
    }
    const current = frame.value as Record<PropertyKey, unknown>;
    const depth = frame.depth + 1;
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        const child: unknown = current[index];
        if (typeof child === 'object' && child !== null)
          stack.push({ value: child, depth, parent: frame, key: index });
      }
    } else {
      for (const key in current) {
        const child = current[key];
        if (typeof child === 'object' && child !== null)
          stack.push({ value: child, depth, parent: frame, key });
      }
    }
  }
  return undefined;
}
