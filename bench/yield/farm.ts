/**
 * The yield benchmark's farm: six simulated free-tier providers, their limits, how each limit is
 * enforced, and how 429chain can know it. Windows are scaled down: a "minute" and a "day" are a
 * few seconds (`minuteMs`, `dayMs`).
 *
 * The shape, per scaled day of two minutes (40 requests offered at the default pace):
 * - three small daily pools at the top of the chain (Groq 4, Cerebras 4, OpenRouter 8), each
 *   also limited per minute;
 * - two per-minute pools below them (Gemini 3 a minute, NVIDIA 9 a minute: use it or lose it);
 * - a provider whose only limit is the manual RPM in 429chain's config (2 per real minute).
 * Together 41 requests a day (82 in a run of two days) for 80 offered, so the farm can carry the
 * load only when the per-minute pools are spent every minute and the daily pools are paced
 * (9 + 3 a minute from the per-minute pools, 8 a minute from the daily ones).
 *
 * The mix of enforcement, like the real services: Groq's minute limits roll (token buckets);
 * Cerebras counts fixed windows aligned to the clock; OpenRouter and NVIDIA open a window at the
 * first request and count until it expires; Gemini's per-minute quota rolls; every daily quota
 * ends at the farm's midnight (a fixed window aligned to the run's start). The manual provider
 * rolls over a real minute: 429chain's manual `requestsPerMinute` has no scaled window.
 */
import { type Enforcement, LimitWindow } from './limit-window.ts';
import { seededRandom } from './seeded-random.ts';

/** Which provider's wire format a simulator speaks (PROVIDERS.md); `manual` says nothing of its limits. */
export type DialectName = 'groq' | 'cerebras' | 'openrouter' | 'gemini' | 'manual' | 'nvidia';

/** One limit of a simulated provider. */
export interface LimitSpec {
  kind: 'requests' | 'tokens';
  /** A scaled minute, a scaled day, or a real minute (for a limit 429chain's config states). */
  per: 'minute' | 'day' | 'real-minute';
  limit: number;
  enforcement: Enforcement;
  /**
   * How 429chain can know the limit before it is hit: the provider's headers on 200s, only the
   * 429 that hits it (its words or headers), the config, or nothing but counting.
   */
  stated: 'headers' | '429' | 'config' | 'nothing';
}

/** One simulated provider and how 429chain is configured for it. */
export interface ProviderSpec {
  /** Provider id, in the farm and in 429chain's config. */
  id: string;
  /** The 429chain preset (`type` in the config). */
  preset: string;
  dialect: DialectName;
  model: string;
  /** Checked in this order on every request; the first that does not fit answers 429. */
  limits: LimitSpec[];
  /** Answer delay range (ms) of an accepted request. */
  latencyMs: readonly [number, number];
  /** Manual limits in 429chain's config. */
  rateLimits?: Record<string, number> | undefined;
}

/** Options of {@link yieldFarm}. */
export interface FarmOptions {
  /** A scaled minute (ms). */
  minuteMs: number;
  /** A scaled day (ms). */
  dayMs: number;
  /** One rule for every window instead of the realistic mix. @default 'mixed' */
  enforcement?: Enforcement | 'mixed' | undefined;
}

/** The farm: providers in chain order, and the scale of its windows. */
export interface Farm {
  minuteMs: number;
  dayMs: number;
  providers: ProviderSpec[];
}

export function yieldFarm(options: FarmOptions): Farm {
  const rule = (mixed: Enforcement): Enforcement =>
    options.enforcement === undefined || options.enforcement === 'mixed' ? mixed : options.enforcement;
  const limit = (
    kind: LimitSpec['kind'],
    per: LimitSpec['per'],
    count: number,
    enforcement: Enforcement,
    stated: LimitSpec['stated'],
  ): LimitSpec => ({ kind, per, limit: count, enforcement: rule(enforcement), stated });
  return {
    minuteMs: options.minuteMs,
    dayMs: options.dayMs,
    providers: [
      {
        id: 'groq',
        preset: 'groq',
        dialect: 'groq',
        model: 'llama-3.1-8b-instant',
        limits: [
          limit('requests', 'day', 4, 'fixed', 'headers'),
          limit('requests', 'minute', 3, 'rolling', '429'),
          limit('tokens', 'minute', 3000, 'rolling', 'headers'),
        ],
        latencyMs: [60, 180],
      },
      {
        id: 'cerebras',
        preset: 'cerebras',
        dialect: 'cerebras',
        model: 'llama3.1-8b',
        limits: [
          limit('requests', 'day', 4, 'fixed', 'headers'),
          // Its 429 names the limit but not its size, and its retry-after overstates the wait.
          limit('requests', 'minute', 3, 'fixed', 'nothing'),
          limit('tokens', 'minute', 2000, 'fixed', 'headers'),
        ],
        latencyMs: [40, 120],
      },
      {
        id: 'openrouter',
        preset: 'openrouter',
        dialect: 'openrouter',
        model: 'meta-llama/llama-3.3-70b-instruct:free',
        limits: [
          limit('requests', 'day', 8, 'fixed', '429'),
          limit('requests', 'minute', 20, 'anchored', '429'),
        ],
        latencyMs: [300, 700],
      },
      {
        id: 'gemini',
        preset: 'gemini',
        dialect: 'gemini',
        model: 'gemini-2.5-flash',
        limits: [
          limit('requests', 'day', 100, 'fixed', '429'),
          limit('requests', 'minute', 3, 'rolling', '429'),
        ],
        latencyMs: [200, 500],
      },
      {
        id: 'manual',
        preset: 'generic',
        dialect: 'manual',
        model: 'small-model',
        limits: [limit('requests', 'real-minute', 2, 'rolling', 'config')],
        latencyMs: [150, 400],
        rateLimits: { requestsPerMinute: 2 },
      },
      {
        id: 'nvidia',
        preset: 'nvidia',
        dialect: 'nvidia',
        model: 'meta/llama-3.1-8b-instruct',
        limits: [limit('requests', 'minute', 9, 'anchored', 'nothing')],
        latencyMs: [200, 600],
      },
    ],
  };
}

/** The length of a limit's window (ms). */
export function windowMsOf(farm: Pick<Farm, 'minuteMs' | 'dayMs'>, limit: LimitSpec): number {
  return limit.per === 'day' ? farm.dayMs : limit.per === 'minute' ? farm.minuteMs : 60_000;
}

/**
 * Where a provider's fixed per-minute windows start, relative to the run's origin (ms): a phase
 * in [0, minute) drawn from the seed. Days start at the origin (the run begins at midnight).
 */
export function minutePhaseMs(farm: Pick<Farm, 'minuteMs'>, seed: number, index: number): number {
  return Math.floor(seededRandom(seed, index)() * farm.minuteMs);
}

/** Fresh windows for a provider's limits, for a run that starts at `origin` (epoch ms). */
export function limitWindows(
  farm: Pick<Farm, 'minuteMs' | 'dayMs'>,
  provider: ProviderSpec,
  origin: number,
  phaseMs: number,
): LimitWindow[] {
  return provider.limits.map(
    (limit) =>
      new LimitWindow({
        limit: limit.limit,
        windowMs: windowMsOf(farm, limit),
        enforcement: limit.enforcement,
        alignedAt: limit.per === 'day' ? origin : origin + phaseMs,
      }),
  );
}

/** The name of a limit in the report: `requests/minute`, `tokens/day`, `requests/real minute`. */
export function causeOf(limit: Pick<LimitSpec, 'kind' | 'per'>): string {
  return `${limit.kind}/${limit.per === 'real-minute' ? 'real minute' : limit.per}`;
}

/** Whether 429chain can learn any of the provider's limits only from a 429 (one 429 is then allowed). */
export function learntFrom429(provider: ProviderSpec): boolean {
  return provider.limits.some((limit) => limit.stated === '429' || limit.stated === 'nothing');
}

/** What a request costs against each of the provider's limits: 1 request, or its tokens. */
export function amountsFor(provider: ProviderSpec, body: unknown): number[] {
  return provider.limits.map((limit) => (limit.kind === 'tokens' ? chargedTokens(body) : 1));
}

/** The request every client call sends (non-streaming, small). */
export const benchRequest = {
  model: 'yield',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  max_tokens: 32,
} as const;

/**
 * Tokens a provider charges for a request before running it: the prompt (four characters a
 * token) plus `max_tokens`, as Groq and Cerebras count it.
 */
export function chargedTokens(body: unknown): number {
  const request = (typeof body === 'object' && body !== null ? body : {}) as {
    messages?: unknown;
    max_tokens?: unknown;
  };
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const characters = messages.reduce<number>((sum, message: { content?: unknown }) => {
    return sum + (typeof message?.content === 'string' ? message.content.length : 0);
  }, 0);
  const maxTokens = typeof request.max_tokens === 'number' ? request.max_tokens : 1024;
  return Math.ceil(characters / 4) + maxTokens;
}
