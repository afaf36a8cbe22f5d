import { classifyFailure, reclassify } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Fireworks AI: `x-ratelimit-{limit,remaining}-requests` (per minute) and token limits without a
 * remaining count. 429 is over the limit, 503 overloaded, 402 and 412 are billing problems.
 */
export const fireworks: ProviderPreset = definePreset({
  id: 'fireworks',
  name: 'Fireworks AI',
  baseUrl: 'https://api.fireworks.ai/inference/v1',
  envKeys: ['FIREWORKS_API_KEY'],
  suggestedModels: ['accounts/fireworks/models/llama-v3p1-8b-instruct'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'minute',
      scope: 'key',
      limitHeader: 'x-ratelimit-limit-requests',
      remainingHeader: 'x-ratelimit-remaining-requests',
    },
  ],
  // Without a payment method on file.
  knownLimits: { requestsPerMinute: 10 },
  classify(answer) {
    const verdict = classifyFailure(answer);
    if (answer.status !== 412) return verdict;
    return reclassify(verdict, answer, { kind: 'no-credit', scope: 'key', label: 'billing problem' });
  },
});
