import { classifyFailure, reclassify } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import { openAIHeaderBuckets } from '../openai-header-buckets.ts';
import type { ProviderPreset } from '../provider-preset.ts';
import { readErrorBody } from '../read-error-body.ts';

/**
 * Cerebras: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}-{minute,hour,day}` on 200s,
 * resets in float seconds (`33011.38`); 429s carry no such headers. `queue_exceeded` means the
 * service is overloaded, not that your quota is spent, even though it says `x-should-retry: false`.
 */
export const cerebras: ProviderPreset = definePreset({
  id: 'cerebras',
  name: 'Cerebras',
  baseUrl: 'https://api.cerebras.ai/v1',
  envKeys: ['CEREBRAS_API_KEY'],
  suggestedModels: ['llama3.1-8b', 'llama-3.3-70b', 'qwen-3-32b'],
  headerBuckets: openAIHeaderBuckets({
    buckets: (['requests', 'tokens'] as const).flatMap((kind) =>
      (['minute', 'hour', 'day'] as const).map((window) => ({ kind, window, suffix: `${kind}-${window}` })),
    ),
    resetFormat: 'seconds',
  }),
  chargesMaxTokensUpfront: true,
  knownLimits: {
    requestsPerMinute: 30,
    requestsPerDay: 14_400,
    tokensPerMinute: 60_000,
    tokensPerDay: 1_000_000,
  },
  classify(answer) {
    const body = readErrorBody(answer.body);
    // Its Retry-After (~60 s) is the same on every quota 429: a daily quota waits for its reset.
    const verdict = classifyFailure(answer, { body, quotaWaitsForClock: true });
    if (body.param === 'queue' || body.code === 'queue_exceeded') {
      return reclassify(verdict, answer, { kind: 'server', label: 'overloaded (queue full)' });
    }
    return verdict;
  },
});
