/**
 * What each simulated provider says about its limits, in the real dialects of PROVIDERS.md:
 * the headers on a 200, and the 429 for the limit a request hit. Times are the farm's scaled
 * times, written in each provider's own format.
 */
import type { DialectName, LimitSpec } from './farm.ts';

/** One limit's state when a request arrives. */
export interface LimitView {
  spec: LimitSpec;
  remaining: number;
  /** When room comes back (epoch ms). */
  resetAt: number;
}

/** What a simulator answers. */
export interface SimulatedAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What a 429 may mention besides the limit it hit. */
export interface RefusalContext {
  now: number;
  model: string;
  /** Units the refused request asked for (1 request, or its tokens). */
  requested: number;
  /** A scaled minute (ms): Cerebras's retry-after is always a whole one. */
  minuteMs: number;
}

export interface Dialect {
  /** Limit headers on a 200. */
  successHeaders(limits: LimitView[], now: number): Record<string, string>;
  /** The 429 for the limit `hit`. */
  tooManyRequests(hit: LimitView, limits: LimitView[], context: RefusalContext): SimulatedAnswer;
}

const find = (limits: LimitView[], kind: LimitSpec['kind'], per: LimitSpec['per']) =>
  limits.find((limit) => limit.spec.kind === kind && limit.spec.per === per);

/** Go-style duration, as Groq writes it: `2m59.56s`, `7.66s`, `370ms` (rounded up to 10 ms). */
export function goDuration(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms / 10) * 10);
  if (rounded < 1000) return `${rounded}ms`;
  const minutes = Math.floor(rounded / 60_000);
  const seconds = Number(((rounded % 60_000) / 1000).toFixed(2));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * `x-ratelimit-{limit,remaining,reset}-<suffix>` for each `[suffix, kind, per]` the provider has,
 * the time to the reset written by `writeReset`.
 */
function limitHeaders(
  limits: LimitView[],
  now: number,
  names: ReadonlyArray<readonly [string, LimitSpec['kind'], LimitSpec['per']]>,
  writeReset: (ms: number) => string,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [suffix, kind, per] of names) {
    const limit = find(limits, kind, per);
    if (!limit) continue;
    headers[`x-ratelimit-limit-${suffix}`] = String(limit.spec.limit);
    headers[`x-ratelimit-remaining-${suffix}`] = String(limit.remaining);
    headers[`x-ratelimit-reset-${suffix}`] = writeReset(limit.resetAt - now);
  }
  return headers;
}

const secondsUntil = (at: number, now: number) => Math.max(0, (at - now) / 1000);
/** Whole seconds, rounded up (`retry-after`). */
const retryAfter = (at: number, now: number) => String(Math.max(1, Math.ceil(secondsUntil(at, now))));

/** Groq: `…-requests` is the daily bucket, `…-tokens` the minute's; RPM appears only in the 429's words. */
const groq: Dialect = {
  successHeaders: (limits, now) =>
    limitHeaders(
      limits,
      now,
      [
        ['requests', 'requests', 'day'],
        ['tokens', 'tokens', 'minute'],
      ],
      goDuration,
    ),
  tooManyRequests(hit, limits, context) {
    const label = `${hit.spec.kind} per ${hit.spec.per} (${hit.spec.kind === 'requests' ? 'R' : 'T'}P${hit.spec.per === 'day' ? 'D' : 'M'})`;
    const used = hit.spec.limit - hit.remaining;
    return {
      status: 429,
      headers: {
        'retry-after': retryAfter(hit.resetAt, context.now),
        ...this.successHeaders(limits, context.now),
      },
      body: {
        error: {
          message: `Rate limit reached for model \`${context.model}\` in organization \`org_01jbench\` service tier \`on_demand\` on ${label}: Limit ${hit.spec.limit}, Used ${used}, Requested ${context.requested}. Please try again in ${goDuration(hit.resetAt - context.now)}. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`,
          type: hit.spec.kind,
          code: 'rate_limit_exceeded',
        },
      },
    };
  },
};

/**
 * Cerebras: `x-ratelimit-*-requests-day` and `-tokens-minute` on 200s in float seconds; its 429s
 * carry no x-ratelimit headers and a retry-after of a whole minute, however soon the window clears.
 */
const cerebras: Dialect = {
  successHeaders: (limits, now) =>
    limitHeaders(
      limits,
      now,
      [
        ['requests-day', 'requests', 'day'],
        ['tokens-minute', 'tokens', 'minute'],
      ],
      (ms) => (Math.max(0, ms) / 1000).toFixed(2),
    ),
  tooManyRequests(hit, _limits, context) {
    const window = hit.spec.per === 'day' ? 'day' : 'minute';
    const tokens = hit.spec.kind === 'tokens';
    return {
      status: 429,
      headers: { 'retry-after': String(Math.ceil(context.minuteMs / 1000)) },
      body: {
        message: tokens
          ? `Tokens per ${window} limit exceeded - too many tokens processed.`
          : `Requests per ${window} limit exceeded - too many requests sent.`,
        type: 'too_many_requests_error',
        param: 'quota',
        code: tokens ? 'token_quota_exceeded' : 'request_quota_exceeded',
      },
    };
  },
};

/** OpenRouter: nothing on 200s; its 429 carries `X-RateLimit-*` (reset in epoch ms) in the headers and the body. */
const openrouter: Dialect = {
  successHeaders: () => ({}),
  tooManyRequests(hit) {
    const headers = {
      'X-RateLimit-Limit': String(hit.spec.limit),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil(hit.resetAt)),
    };
    const message =
      hit.spec.per === 'day'
        ? 'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day'
        : 'Rate limit exceeded: free-models-per-min. ';
    return {
      status: 429,
      headers,
      body: { error: { message, code: 429, metadata: { headers } }, user_id: 'user_2bench' },
    };
  },
};

/**
 * Gemini: nothing on 200s; a 429 is `RESOURCE_EXHAUSTED` with the quota's id and value and a
 * `RetryInfo.retryDelay`, wrapped in a JSON array as its OpenAI endpoint sends it.
 */
const gemini: Dialect = {
  successHeaders: () => ({}),
  tooManyRequests(hit, _limits, context) {
    const window = hit.spec.per === 'day' ? 'Day' : 'Minute';
    const delay = `${Math.max(0.1, Math.ceil((hit.resetAt - context.now) / 100) / 10)}s`;
    const metric = 'generativelanguage.googleapis.com/generate_content_free_tier_requests';
    return {
      status: 429,
      headers: {},
      body: [
        {
          error: {
            code: 429,
            message: `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: ${metric}, limit: ${hit.spec.limit}, model: ${context.model}\nPlease retry in ${delay}.`,
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: metric,
                    quotaId: `GenerateRequestsPer${window}PerProjectPerModel-FreeTier`,
                    quotaDimensions: { location: 'global', model: context.model },
                    quotaValue: String(hit.spec.limit),
                  },
                ],
              },
              {
                '@type': 'type.googleapis.com/google.rpc.Help',
                links: [
                  {
                    description: 'Learn more about Gemini API quotas',
                    url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
                  },
                ],
              },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay },
            ],
          },
        },
      ],
    };
  },
};

/** A provider whose limit is known only from its docs (429chain's manual RPM): no headers, a bare 429. */
const manual: Dialect = {
  successHeaders: () => ({}),
  tooManyRequests: () => ({
    status: 429,
    headers: {},
    body: { error: { message: 'Too many requests', type: 'rate_limit_error', code: null } },
  }),
};

/** NVIDIA NIM: no headers, no reset, `{status:429,title:"Too Many Requests"}`. */
const nvidia: Dialect = {
  successHeaders: () => ({}),
  tooManyRequests: () => ({ status: 429, headers: {}, body: { status: 429, title: 'Too Many Requests' } }),
};

export const dialects: Readonly<Record<DialectName, Dialect>> = {
  groq,
  cerebras,
  openrouter,
  gemini,
  manual,
  nvidia,
};
