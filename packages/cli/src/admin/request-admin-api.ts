import ky, { isHTTPError, isNetworkError, isTimeoutError } from 'ky';
import { CliError } from '../cli-error.ts';
import type { ResolvedAdminKey } from './resolve-admin-key.ts';

/** Options of {@link requestAdminApi}. */
export interface RequestAdminApiOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3429`. */
  baseUrl: string;
  /** Path under it, e.g. `/api/ratelimits`. */
  path: string;
  /** @default 'GET' */
  method?: 'GET' | 'POST' | undefined;
  /** JSON body. */
  body?: unknown;
  adminKey: ResolvedAdminKey;
  fetch: typeof globalThis.fetch;
  /** Gives up after this long without response headers (ms). @default 10000 */
  timeoutMs?: number | undefined;
}

/**
 * Calls the admin API of a running server (ky: the admin key added by a hook, a timeout for
 * the response headers, no retries). Throws a one-line {@link CliError} when the server cannot
 * be reached or does not answer in time, when it refuses the admin key (saying where keys
 * come from), and for any other error answer. Returns the response when it is 2xx.
 */
export async function requestAdminApi(options: RequestAdminApiOptions): Promise<Response> {
  const base = parseBaseUrl(options.baseUrl);
  const adminKey = options.adminKey.key;
  const client = ky.create({
    baseUrl: base,
    fetch: options.fetch,
    timeout: options.timeoutMs ?? 10_000,
    retry: 0,
    headers: { accept: 'application/json, text/event-stream' },
    hooks: {
      beforeRequest: [
        ({ request }) => {
          if (adminKey) request.headers.set('authorization', `Bearer ${adminKey}`);
        },
      ],
      beforeError: [({ error }) => describeFailure(error, base, options)],
    },
  });
  return client(options.path, { method: options.method ?? 'GET', json: options.body });
}

/** A failed call as the one line the CLI prints (and, for a refused key, where keys come from). */
function describeFailure(error: Error, base: URL, options: RequestAdminApiOptions): Error {
  if (isHTTPError(error)) {
    const status = error.response.status;
    const message = errorMessageOf(error.data, error.response.statusText);
    if (status === 401 || status === 403) {
      return new CliError(`${base.origin} refused the admin key (${status}: ${message})`, {
        details: [adminKeyHelp(options.adminKey)],
      });
    }
    return new CliError(`${base.origin}${options.path} answered ${status}: ${message}`);
  }
  const reason = isTimeoutError(error)
    ? 'no answer in time'
    : describeNetworkError(isNetworkError(error) ? error.cause : error);
  return new CliError(
    `cannot reach 429chain at ${base.origin}: ${reason} (is the server running? start it with \`429chain serve\`, or pass --url)`,
  );
}

/** Where admin keys come from, and which one was used. */
function adminKeyHelp(adminKey: ResolvedAdminKey): string {
  const used = adminKey.source
    ? `used the key from ${adminKey.source}`
    : `no key found: no --admin-key, no CHAIN429_ADMIN_KEY, no ${adminKey.keyFile}`;
  return `The admin key is settings.adminKeys in the server's config (or CHAIN429_ADMIN_KEYS), else the key the server generates in admin.key next to its database (./data/admin.key by default). Pass it with --admin-key or CHAIN429_ADMIN_KEY, or point --db at the server's database. (${used})`;
}

function parseBaseUrl(value: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url;
  } catch {
    throw new CliError(`invalid server URL "${value}" (expected e.g. http://127.0.0.1:3429)`, {
      exitCode: 2,
    });
  }
}

function describeNetworkError(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code) return code;
  if (cause?.message === 'bad port')
    return 'fetch refuses to connect to this port (a reserved one); use another';
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The message of an error answer's body (ky has read it: parsed JSON, or text). */
function errorMessageOf(data: unknown, statusText: string): string {
  const message = (data as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof message === 'string') return message;
  const text = typeof data === 'string' ? data : '';
  return text.trim().split('\n')[0]?.slice(0, 200) || statusText || 'no message';
}
