import type { ChainExhaustedError } from '../errors.ts';
import type { RequestTrail } from './request-trail.ts';

/**
 * Telling a rate limit from a fault when a chain cannot answer. The rest after a timeout or a
 * broken stream is a `faulted` block, not a rate limit (its skips are not `rateLimited`): a chain
 * whose entries are all out for faults answers 503 `upstream_unavailable`, never a 429 that
 * would send clients to sleep on a limit that does not exist.
 */

/** Skip states that mean a fault: resting after one, an open circuit, a model that is not there. */
const faultSkips: ReadonlySet<string> = new Set(['faulted', 'circuit-open', 'broken']);

/** Whether every entry was skipped for a fault. */
function allFaults(trail: RequestTrail): boolean {
  return (
    trail.attempts.length > 0 &&
    trail.attempts.every((attempt) => attempt.outcome === 'skipped' && faultSkips.has(attempt.failure ?? ''))
  );
}

/** Status, code and retry hint of the error for a chain that could not answer. */
export function exhaustionOf(input: {
  trail: RequestTrail;
  rateLimited: boolean;
  attempted: boolean;
  /** The earliest reset (epoch ms), when every entry is rate-limited. */
  earliest: number | undefined;
  now: number;
  /** `settings.clientRetryMaxWaitMs` */
  clientRetryMaxWaitMs: number;
}): Pick<
  ConstructorParameters<typeof ChainExhaustedError>[0],
  'status' | 'retryAt' | 'faults' | 'clientShouldRetry'
> {
  if (input.rateLimited) {
    const wait = input.earliest === undefined ? undefined : input.earliest - input.now;
    return {
      status: 429,
      retryAt: input.earliest,
      clientShouldRetry: wait !== undefined && wait <= input.clientRetryMaxWaitMs,
    };
  }
  // Upstreams that failed in this request are a 502; entries already out for faults, a 503 that says so.
  if (input.attempted) return { status: 502 };
  return { status: 503, faults: allFaults(input.trail) };
}

/** `retry-after` (seconds to the earliest reset) and, when that is too far off, `x-should-retry: false`. */
export function retryHeaders(error: ChainExhaustedError, now: number): Record<string, string> {
  if (error.retryAt === undefined) return {};
  const headers: Record<string, string> = {
    'retry-after': String(Math.max(1, Math.ceil((error.retryAt - now) / 1000))),
  };
  if (error.clientShouldRetry === false) headers['x-should-retry'] = 'false';
  return headers;
}
