import ky, { isHTTPError, isNetworkError, isTimeoutError } from 'ky';
import { ApiError, apiErrorOf } from './api-error.ts';
import { clearAdminKey, getAdminKey } from './session-key.ts';

/** Options of {@link adminFetch}. */
export interface AdminRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A JSON value to send. */
  json?: unknown;
  signal?: AbortSignal | undefined;
  /** Use this key instead of the session's (the login page verifies a key with it). */
  key?: string | undefined;
  /**
   * Gives up when the response headers take longer (ms); `false` waits as long as the server
   * takes (a test prompt runs through a chain, which may queue). @default 30000
   */
  timeoutMs?: number | false | undefined;
}

/** What the hooks learn about a request. */
interface AdminContext {
  key?: string | undefined;
}

/**
 * The admin API client (ky): a hook adds `Authorization: Bearer <admin key>` (the session's,
 * or the one a request names), another turns every failure into an {@link ApiError} (the
 * server's OpenAI-shaped error, a timeout, or an unreachable server) and signs the tab out
 * when the session's key is refused. No retries: queries retry on their own terms.
 */
const adminApi = ky.create({
  retry: 0,
  hooks: {
    beforeRequest: [
      ({ request, options }) => {
        const key = (options.context as AdminContext).key ?? getAdminKey();
        if (!key) throw new ApiError('Sign in with the admin key first.', { status: 401 });
        request.headers.set('authorization', `Bearer ${key}`);
      },
    ],
    beforeError: [
      ({ error, options }) => {
        if (isHTTPError(error)) {
          const refused = apiErrorOf(error.response, error.data);
          const status = error.response.status;
          if ((status === 401 || status === 403) && (options.context as AdminContext).key === undefined) {
            clearAdminKey(`${refused.message} Sign in again.`);
          }
          return refused;
        }
        if (isTimeoutError(error)) {
          return new ApiError('The 429chain server did not answer in time.', { status: 0 });
        }
        if (isNetworkError(error)) {
          return new ApiError('Cannot reach the 429chain server. Is it running?', { status: 0 });
        }
        return error;
      },
    ],
  },
});

/**
 * Calls the admin API. An error answer throws an {@link ApiError}; a rejected key also
 * signs the tab out.
 */
export function adminFetch(path: string, request: AdminRequest = {}): Promise<Response> {
  return adminApi(path, {
    method: request.method ?? 'GET',
    json: request.json,
    signal: request.signal,
    timeout: request.timeoutMs ?? 30_000,
    context: { key: request.key } satisfies AdminContext,
  });
}

/** Calls the admin API and reads its JSON answer (`undefined` for 204). */
export async function adminJson<Result>(path: string, request: AdminRequest = {}): Promise<Result> {
  const response = await adminFetch(path, request);
  if (response.status === 204) return undefined as Result;
  return (await response.json()) as Result;
}

/** Builds a query string from the values that are set. */
export function queryString(values: Record<string, string | number | undefined | null>): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') parameters.set(name, String(value));
  }
  const text = parameters.toString();
  return text ? `?${text}` : '';
}
