import { ChainError, toOpenAIError } from '@429chain/core';

/** An OpenAI-shaped error response: `{ error: { message, type, code, param } }`. */
export function openAIErrorResponse(error: unknown, headers: Record<string, string> = {}): Response {
  const { status, body } = toOpenAIError(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

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
