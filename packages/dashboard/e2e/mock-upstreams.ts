import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockReply,
  type MockRequest,
  startMockProvider,
  streamReply,
} from '@429chain/core/testing';

/**
 * Loopback providers that answer like the real ones: Groq's and Cerebras's
 * rate-limit headers (counting down with every request), OpenRouter without headers,
 * and a plain OpenAI-compatible endpoint for the provider the tests add by form.
 */
export interface Upstreams {
  groq: MockProvider;
  cerebras: MockProvider;
  openrouter: MockProvider;
  /** Not in the config: the provider added through the form points here. */
  spare: MockProvider;
  close(): Promise<void>;
}

const answers = [
  'A waterfall router tries each free tier in order and moves on the moment one says 429.',
  'Rate limits reset on their own clock; tracking them avoids wasting a request on an exhausted quota.',
  'HTTP 429 means Too Many Requests: wait for the reset, or ask someone else.',
  'Free tiers are small, but several of them together make a dependable endpoint.',
];

/** The streamed answer of the playground test (served by the second entry after the first one's 429). */
export const fallbackAnswer =
  'A gateway falls back when the first provider is rate-limited: it records the reset time, skips that entry until then, and streams the answer from the next one in the chain.';

/** Splits text into stream tokens of about one word each. */
export function tokensOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function reply(
  request: MockRequest,
  index: number,
  headers: Record<string, string>,
  intervalMs: number,
): MockReply {
  const model = request.model ?? 'mock-model';
  const text = answers[index % answers.length]!;
  return request.body?.stream === true
    ? streamReply({ model, tokens: tokensOf(text), headers, intervalMs })
    : completionReply({
        model,
        text,
        headers,
        usage: { prompt_tokens: 28 + (index % 5) * 9, completion_tokens: 18 + (index % 7) * 6 },
        delayMs: 40 + (index % 4) * 25,
      });
}

export async function startUpstreams(): Promise<Upstreams> {
  let groqCount = 0;
  const groq = await startMockProvider({
    fallback: (request) =>
      reply(
        request,
        groqCount++,
        {
          // Groq: `requests` is the DAY's bucket, `tokens` the MINUTE's.
          'x-ratelimit-limit-requests': '14400',
          'x-ratelimit-remaining-requests': String(14_372 - groqCount),
          'x-ratelimit-reset-requests': '2m59.56s',
          'x-ratelimit-limit-tokens': '6000',
          'x-ratelimit-remaining-tokens': String(Math.max(0, 5_460 - groqCount * 310)),
          'x-ratelimit-reset-tokens': '7.66s',
        },
        35,
      ),
  });
  let cerebrasCount = 0;
  const cerebras = await startMockProvider({
    fallback: (request) => {
      cerebrasCount++;
      const headers = {
        'x-ratelimit-limit-requests-day': '14400',
        'x-ratelimit-remaining-requests-day': String(14_211 - cerebrasCount),
        'x-ratelimit-reset-requests-day': '33011.38',
        'x-ratelimit-limit-tokens-minute': '60000',
        'x-ratelimit-remaining-tokens-minute': String(58_840 - cerebrasCount * 420),
        'x-ratelimit-reset-tokens-minute': '42.5',
      };
      return request.body?.stream === true
        ? streamReply({ model: request.model, tokens: tokensOf(fallbackAnswer), headers, intervalMs: 45 })
        : reply(request, cerebrasCount, headers, 30);
    },
  });
  let openrouterCount = 0;
  const openrouter = await startMockProvider({
    fallback: (request) => reply(request, openrouterCount++, {}, 60),
  });
  let spareCount = 0;
  const spare = await startMockProvider({ fallback: (request) => reply(request, spareCount++, {}, 30) });
  return {
    groq,
    cerebras,
    openrouter,
    spare,
    close: async () => {
      await Promise.all([groq.close(), cerebras.close(), openrouter.close(), spare.close()]);
    },
  };
}

/** Groq's answer when its per-minute request limit is used up: a 429 that says when to come back. */
export function groqMinuteLimit(retryAfterSeconds: number): MockReply {
  return errorReply(
    429,
    {
      error: {
        message: `Rate limit reached for model \`llama-3.1-8b-instant\` in organization \`org_01e2e\` service tier \`on_demand\` on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in ${retryAfterSeconds}s. Visit https://console.groq.com/docs/rate-limits for more information.`,
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    },
    {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-remaining-requests': '14329',
      'x-ratelimit-reset-requests': '2m59.56s',
    },
  );
}
