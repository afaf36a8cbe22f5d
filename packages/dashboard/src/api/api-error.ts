import type { FieldIssue } from '@429chain/server/admin-api';

/** An error answer of the admin API (`{ error: { message, type, code, param, issues } }`), or a network failure. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string | null;
  readonly param: string | null;
  readonly issues: FieldIssue[];

  constructor(
    message: string,
    options: { status: number; code?: string | null; param?: string | null; issues?: FieldIssue[] },
  ) {
    super(message);
    this.status = options.status;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.issues = options.issues ?? [];
  }

  /** Field errors by path: the config's issues, or the single `param` an error names. */
  fieldErrors(): Record<string, string> {
    const errors: Record<string, string> = {};
    for (const issue of this.issues) errors[issue.path] ??= issue.message;
    if (this.issues.length === 0 && this.param) errors[this.param] = this.message;
    return errors;
  }
}

/**
 * An error answer as an {@link ApiError}, whatever its body: `data` is the body as the client
 * read it (parsed JSON, or text).
 */
export function apiErrorOf(response: Pick<Response, 'status' | 'statusText'>, data: unknown): ApiError {
  const error = (data as { error?: unknown } | undefined)?.error;
  if (typeof error === 'object' && error !== null) {
    const fields = error as Record<string, unknown>;
    const issues = Array.isArray(fields.issues)
      ? (fields.issues as unknown[]).flatMap((issue) => {
          const item = issue as Record<string, unknown>;
          return typeof item?.message === 'string'
            ? [{ path: typeof item.path === 'string' ? item.path : '', message: item.message }]
            : [];
        })
      : [];
    const message =
      typeof fields.message === 'string' && fields.message
        ? fields.message
        : `The server answered ${response.status}.`;
    return new ApiError(message, {
      status: response.status,
      code: typeof fields.code === 'string' ? fields.code : null,
      param: typeof fields.param === 'string' ? fields.param : null,
      issues,
    });
  }
  const snippet = (typeof data === 'string' ? data : '').trim().slice(0, 200);
  return new ApiError(
    `The server answered ${response.status} ${response.statusText}${snippet ? `: ${snippet}` : '.'}`,
    { status: response.status },
  );
}

/** A readable sentence for any error (never `[object Object]`). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) {
    if (error.name === 'AbortError') return 'Stopped.';
    if (error instanceof TypeError && /fetch|network/i.test(error.message)) {
      return 'Cannot reach the 429chain server. Is it running?';
    }
    return error.message || 'Something went wrong.';
  }
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return 'Something went wrong.';
}
