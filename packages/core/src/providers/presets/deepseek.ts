import { classifyFailure, reclassify } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/** How long a DeepSeek 429 (too many requests at once) cools the entry down when it says nothing. */
const BUSY_COOLDOWN_MS = 5_000;

/**
 * DeepSeek: no limit headers and no fixed quota. 402 is an exhausted balance, 429 means too many
 * requests in flight (a short wait, not a window), 503 is overload.
 */
export const deepseek: ProviderPreset = definePreset({
  id: 'deepseek',
  name: 'DeepSeek',
  baseUrl: 'https://api.deepseek.com',
  envKeys: ['DEEPSEEK_API_KEY'],
  suggestedModels: ['deepseek-chat', 'deepseek-reasoner'],
  headerBuckets: [],
  classify(answer) {
    const verdict = classifyFailure(answer);
    if (answer.status !== 429 || verdict.kind !== 'rate-limit') return verdict;
    return reclassify(verdict, answer, {
      kind: 'rate-limit',
      scope: 'key',
      label: 'too many concurrent requests',
      retryAt: verdict.retryAt ?? answer.now + BUSY_COOLDOWN_MS,
    });
  },
});
