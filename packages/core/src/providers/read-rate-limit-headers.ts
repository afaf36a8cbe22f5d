import { type BucketObservation, bucketId } from '../rate-limit/bucket.ts';
import { nextWindowEnd } from './daily-reset.ts';
import { parseResetValue } from './parse-reset.ts';
import type { HeaderBucketSpec } from './provider-preset.ts';

/** What the header reader needs besides the headers. */
export interface ReadRateLimitHeadersContext {
  /** Current time (epoch ms), to turn relative resets into epochs. */
  now: number;
  /** The scope strings a spec's `scope` names: the key's scope and the key + model scope. */
  scopes: { key: string; model: string };
}

/**
 * Reads the buckets a provider describes in its headers: one observation per spec whose
 * remaining header is present and numeric. Malformed limits and resets are left out; never throws.
 */
export function readRateLimitHeaders(
  headers: Headers,
  specs: readonly HeaderBucketSpec[],
  context: ReadRateLimitHeadersContext,
): BucketObservation[] {
  const observations: BucketObservation[] = [];
  for (const spec of specs) {
    const remaining = readCount(headers.get(spec.remainingHeader));
    if (remaining === undefined) continue;
    const scope = context.scopes[spec.scope];
    const key = { scope, kind: spec.kind, window: spec.window, source: 'header' as const };
    const observation: BucketObservation = { id: bucketId(key), ...key, remaining };
    const limit = spec.limitHeader === undefined ? undefined : readCount(headers.get(spec.limitHeader));
    if (limit !== undefined) observation.limit = limit;
    const resetAt = readReset(headers, spec, context.now);
    if (resetAt !== undefined) observation.resetAt = resetAt;
    observations.push(observation);
  }
  return observations;
}

function readReset(headers: Headers, spec: HeaderBucketSpec, now: number): number | undefined {
  const format = spec.resetFormat ?? 'auto';
  if (format === 'window-end') return nextWindowEnd(spec.window, now);
  if (spec.resetHeader === undefined) return undefined;
  const value = headers.get(spec.resetHeader);
  if (value === null) return undefined;
  // A repeated header arrives comma-joined; an HTTP date has a comma of its own, so try the whole first.
  return parseResetValue(value, format, now) ?? parseResetValue(value.split(',')[0] ?? '', format, now);
}

/**
 * A count from a header: a non-negative number (a negative "remaining" means none left).
 * A repeated header arrives comma-joined (`30, 30`): the smallest value wins.
 */
function readCount(value: string | null): number | undefined {
  if (value === null) return undefined;
  const numbers = value.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part)));
  if (numbers.length === 0 || numbers.some((number) => !Number.isFinite(number))) return undefined;
  return Math.max(0, Math.min(...numbers));
}
