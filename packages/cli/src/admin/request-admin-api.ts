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
 * Calls the admin API of a running server. Throws a one-line {@link CliError} when the
 * server cannot be reached, when it refuses the admin key (saying where keys come from),
 * and for any other error answer. Returns the response when it is 2xx.
 */
export async function requestAdminApi(options: RequestAdminApiOptions): Promise<Response> {
  const base = parseBaseUrl(options.baseUrl);
  const url = new URL(options.path, base);
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (options.adminKey.key) headers.authorization = `Bearer ${options.adminKey.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs ?? 10_000);
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: timeout.signal,
    });
  } catch (error) {
    throw new CliError(
      `cannot reach 429chain at ${base.origin}: ${describeNetworkError(error, timeout.signal.aborted)} (is the server running? start it with \`429chain serve\`, or pass --url)`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) return response;
  const message = await errorMessageOf(response);
  if (response.status === 401 || response.status === 403) {
    throw new CliError(`${base.origin} refused the admin key (${response.status}: ${message})`, {
      details: [adminKeyHelp(options.adminKey)],
    });
  }
  throw new CliError(`${base.origin}${options.path} answered ${response.status}: ${message}`);
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

function describeNetworkError(error: unknown, timedOut: boolean): string {
  if (timedOut) return 'no answer in time';
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

async function errorMessageOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // Not JSON: fall through to the text.
  }
  return text.trim().split('\n')[0]?.slice(0, 200) || response.statusText || 'no message';
}
