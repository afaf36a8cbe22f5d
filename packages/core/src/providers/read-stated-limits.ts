import type { BucketWindow } from '../rate-limit/bucket.ts';
import type { StatedLimit } from './provider-preset.ts';
import type { ErrorBodyInfo } from './read-error-body.ts';

/** What {@link readStatedLimits} reads besides the body. */
export interface StatedLimitContext {
  headers: Headers;
  /** The verdict's window and subject, for a limit stated without them (a bare `X-RateLimit-Limit`). */
  window?: BucketWindow | undefined;
  subject?: 'requests' | 'tokens' | undefined;
  /** More text to read (OpenRouter's `metadata.raw`, GitHub's `x-ratelimit-type`). */
  extraText?: string | undefined;
}

/**
 * The limits an error answer states, in the shapes providers use (docs/providers.md, trap 13):
 * Google `QuotaFailure` violations with a `quotaValue`; OpenAI's and Groq's wording
 * "… on requests per minute (RPM): Limit 30, Used 30, Requested 1"; GitHub's "Rate limit of 50
 * per 86400s"; and a bare `X-RateLimit-Limit` header on the 429. Never throws.
 */
export function readStatedLimits(body: ErrorBodyInfo, context: StatedLimitContext): StatedLimit[] {
  const limits: StatedLimit[] = [...quotaValuesOf(body.details)];
  const texts = [body.message, context.extraText].filter((text): text is string => typeof text === 'string');
  for (const text of texts) limits.push(...wordedLimitsOf(text, context));
  const header = countOf(context.headers.get('x-ratelimit-limit'));
  if (header !== undefined && !limits.some((limit) => limit.evidence !== 'header')) {
    limits.push({
      kind: context.subject ?? 'requests',
      limit: header,
      window: context.window,
      evidence: 'header',
      header: 'x-ratelimit-limit',
    });
  }
  return dedupe(limits);
}

/** `GenerateRequestsPerMinutePerProjectPerModel-FreeTier` with `quotaValue: "10"`. */
function quotaValuesOf(details: unknown[] | undefined): StatedLimit[] {
  const limits: StatedLimit[] = [];
  for (const detail of details ?? []) {
    if (!isRecord(detail) || !Array.isArray(detail.violations)) continue;
    for (const violation of detail.violations) {
      if (!isRecord(violation)) continue;
      const limit = countOf(violation.quotaValue);
      const id = `${String(violation.quotaId ?? '')} ${String(violation.quotaMetric ?? '')}`;
      if (limit === undefined) continue;
      limits.push({
        kind: /token/i.test(id) ? 'tokens' : 'requests',
        limit,
        window: windowOfQuotaId(id),
        evidence: 'body',
      });
    }
  }
  return limits;
}

function windowOfQuotaId(id: string): BucketWindow | undefined {
  if (/PerDay|per_day/i.test(id)) return 'day';
  if (/PerMinute|per_minute/i.test(id)) return 'minute';
  if (/PerHour|per_hour/i.test(id)) return 'hour';
  if (/PerSecond|per_second/i.test(id)) return 'second';
  return undefined;
}

const WORDED =
  /\b(requests?|tokens?)\s+per\s+(second|sec|minute|min|hour|day)\b[^:.]{0,40}:\s*Limit:?\s*([\d,]+)/gi;
const PER_SECONDS = /\brate limit of\s+([\d,]+)\s+per\s+(\d+)\s*s(?:ec(?:ond)?s?)?\b/gi;
const BARE = /\bLimit:?\s+([\d,]+)\s*,\s*Used\b/i;

function wordedLimitsOf(text: string, context: StatedLimitContext): StatedLimit[] {
  const limits: StatedLimit[] = [];
  for (const match of text.matchAll(WORDED)) {
    const limit = countOf(match[3]);
    if (limit === undefined) continue;
    limits.push({
      kind: /^token/i.test(match[1]!) ? 'tokens' : 'requests',
      limit,
      window: windowOfWord(match[2]!),
      evidence: 'message',
    });
  }
  for (const match of text.matchAll(PER_SECONDS)) {
    const limit = countOf(match[1]);
    const seconds = Number(match[2]);
    if (limit === undefined || !(seconds > 0)) continue;
    limits.push({
      kind: 'requests',
      limit,
      window: seconds >= 86_400 ? 'day' : seconds >= 3_600 ? 'hour' : seconds >= 60 ? 'minute' : 'second',
      windowMs: seconds * 1_000,
      evidence: 'message',
    });
  }
  if (limits.length === 0) {
    const bare = BARE.exec(text);
    const limit = countOf(bare?.[1]);
    if (limit !== undefined) {
      limits.push({
        kind: context.subject ?? 'requests',
        limit,
        window: context.window,
        evidence: 'message',
      });
    }
  }
  return limits;
}

function windowOfWord(word: string): BucketWindow {
  const lower = word.toLowerCase();
  if (lower.startsWith('sec')) return 'second';
  if (lower.startsWith('min')) return 'minute';
  if (lower === 'hour') return 'hour';
  return 'day';
}

/** A positive whole count from `30`, `"10"`, `"1,000"`; undefined otherwise. */
function countOf(value: unknown): number | undefined {
  const text =
    typeof value === 'number'
      ? String(value)
      : typeof value === 'string'
        ? value.replace(/,/g, '').trim()
        : '';
  if (!/^\d+$/.test(text)) return undefined;
  const count = Number(text);
  return count > 0 && Number.isSafeInteger(count) ? count : undefined;
}

function dedupe(limits: StatedLimit[]): StatedLimit[] {
  const seen = new Set<string>();
  return limits.filter((limit) => {
    const key = `${limit.kind}:${limit.window ?? ''}:${limit.windowMs ?? ''}:${limit.limit}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
