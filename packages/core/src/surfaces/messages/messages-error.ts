import type { OpenAIErrorBody } from '../../errors.ts';

/** Anthropic's error types by HTTP status. */
const typeByStatus: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/**
 * An error in Anthropic's shape and status: `{ type: "error", error: { type, message } }`, with
 * 429chain's stable `code` kept beside them. A chain that could not answer (502, 503) is
 * `529 overloaded_error`, the status Anthropic's clients know to back off from.
 */
export function anthropicError(
  status: number,
  error: Pick<OpenAIErrorBody['error'], 'message' | 'code'>,
): { status: number; body: Record<string, unknown> } {
  const mapped = status === 502 || status === 503 ? 529 : status;
  const type = typeByStatus[mapped] ?? (mapped >= 500 ? 'api_error' : 'invalid_request_error');
  return {
    status: mapped,
    body: {
      type: 'error',
      error: { type, message: error.message, ...(error.code ? { code: error.code } : {}) },
    },
  };
}
