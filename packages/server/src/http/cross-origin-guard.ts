import { isLoopbackHost } from '../auth/match-key.ts';
import { httpError, openAIErrorResponse } from './openai-error.ts';

/** Options of {@link createCrossOriginGuard}; each is read per request, so live setting edits apply. */
export interface CrossOriginGuardOptions {
  /** Whether clients need a key. With keys, the key is the protection and the guard stands aside. */
  hasClientKeys(): boolean;
  /** Host names served besides loopback ones (`settings.allowedHosts`), with or without a port. */
  allowedHosts(): readonly string[];
  /**
   * Origins a web page may call from (`settings.cors.origins`), exactly as a browser sends
   * them (`https://app.example`). Loopback origins are always allowed.
   */
  allowedOrigins(): readonly string[];
}

/**
 * The no-key local mode's defence against web pages, as Ollama does it. With no client keys
 * anything that reaches the port is trusted, and a browser reaches it for any page the user
 * visits: a form or a `text/plain` fetch is sent without a preflight (spending quota), and
 * DNS rebinding lets a page read answers and `/metrics` under its own host name. So, while no
 * client key is set, a request is refused (403, before anything else runs) when
 * - its `Host` is not a loopback name (`localhost`, `127.x.x.x`, `[::1]`) or an allowed host, or
 * - it carries an `Origin` that is not a loopback origin or an allowed one (`null`, the origin
 *   of sandboxed frames and local files, is refused).
 *
 * `settings.cors.origins` is the one list of trusted origins: this guard lets them through,
 * and the CORS layer answers them with CORS headers. Returns the refusal, or undefined.
 */
export function createCrossOriginGuard(
  options: CrossOriginGuardOptions,
): (headers: Headers) => Response | undefined {
  return (headers) => {
    if (options.hasClientKeys()) return undefined;
    const host = headers.get('host');
    if (host !== null && !isServedHost(host, options.allowedHosts())) {
      return openAIErrorResponse(
        httpError(
          403,
          'host_not_allowed',
          `Host "${host}" is not served: without client keys (settings.apiKeys) only loopback names are, against DNS rebinding. Add the name to settings.allowedHosts, or set client keys.`,
          { type: 'permission_error' },
        ),
      );
    }
    const origin = headers.get('origin');
    if (origin !== null && !isAllowedOrigin(origin, options.allowedOrigins())) {
      return openAIErrorResponse(
        httpError(
          403,
          'origin_not_allowed',
          `Requests from web pages at ${JSON.stringify(origin)} are refused: without client keys (settings.apiKeys) any page the user visits could spend the quotas. Add the origin to settings.cors.origins, or set client keys.`,
          { type: 'permission_error' },
        ),
      );
    }
    return undefined;
  };
}

/** `host` or `host:port`, with IPv6 in brackets: the host name alone, lower-cased. */
function hostNameOf(authority: string): string {
  const trimmed = authority.trim().toLowerCase();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end === -1 ? trimmed : trimmed.slice(0, end + 1);
  }
  const colon = trimmed.lastIndexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}

function isServedHost(host: string, allowed: readonly string[]): boolean {
  const name = hostNameOf(host);
  if (isLoopbackHost(name) || name.endsWith('.localhost')) return true;
  return allowed.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    return wanted === host.trim().toLowerCase() || wanted === name;
  });
}

function isAllowedOrigin(origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const name = url.hostname.toLowerCase();
  return isLoopbackHost(name) || name.endsWith('.localhost');
}
