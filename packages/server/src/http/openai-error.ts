import { ChainError, errorInDialect } from '@429chain/core';

/** An OpenAI-shaped error response: `{ error: { message, type, code, param } }` (core's builder). */
export { openAIErrorResponse } from '@429chain/core';

/** Builds a ChainError for the HTTP layer's own refusals. */
export function httpError(
  status: number,
  code: string,
  message: string,
  options: { type?: string; param?: string } = {},
): ChainError {
  const type =
    options.type ??
    (status === 401
      ? 'authentication_error'
      : status === 403
        ? 'permission_error'
        : status === 404
          ? 'not_found_error'
          : status === 409
            ? 'conflict_error'
            : status >= 500
              ? 'api_error'
              : 'invalid_request_error');
  return new ChainError(message, { status, code, type, param: options.param });
}

/**
 * A refusal on a client surface, in the caller's dialect: Anthropic's shape for `/v1/messages`
 * and Anthropic clients (core decides), OpenAI's otherwise.
 */
export function clientErrorResponse(
  request: Request,
  error: unknown,
  headers: Record<string, string> = {},
): Response {
  const response = errorInDialect(request, error);
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}
