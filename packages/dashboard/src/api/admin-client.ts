import { ApiError, apiErrorFrom } from './api-error.ts';
import { clearAdminKey, getAdminKey } from './session-key.ts';

/** Options of {@link adminFetch}. */
export interface AdminRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A JSON value to send. */
  json?: unknown;
  signal?: AbortSignal | undefined;
  /** Use this key instead of the session's (the login page verifies a key with it). */
  key?: string | undefined;
}

/**
 * Calls the admin API with `Authorization: Bearer <admin key>`. An error answer
 * throws an {@link ApiError}; a rejected key also signs the tab out.
 */
export async function adminFetch(path: string, request: AdminRequest = {}): Promise<Response> {
  const key = request.key ?? getAdminKey();
  if (!key) throw new ApiError('Sign in with the admin key first.', { status: 401 });
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (request.json !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: request.method ?? 'GET',
      headers,
      body: request.json === undefined ? undefined : JSON.stringify(request.json),
      signal: request.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Cannot reach the 429chain server. Is it running?', { status: 0 });
  }
  if (!response.ok) {
    const error = await apiErrorFrom(response);
    if ((response.status === 401 || response.status === 403) && request.key === undefined) {
      clearAdminKey(`${error.message} Sign in again.`);
    }
    throw error;
  }
  return response;
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
