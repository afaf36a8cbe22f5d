import { definePreset } from '../define-preset.ts';
import { openAIHeaderBuckets } from '../openai-header-buckets.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * SambaNova: `x-ratelimit-*-requests` per minute and `x-ratelimit-*-requests-day` per day.
 * The reset format is uncertain (epoch seconds or a duration), so it is read as `auto`.
 */
export const sambanova: ProviderPreset = definePreset({
  id: 'sambanova',
  name: 'SambaNova',
  baseUrl: 'https://api.sambanova.ai/v1',
  envKeys: ['SAMBANOVA_API_KEY'],
  suggestedModels: ['Meta-Llama-3.1-8B-Instruct', 'Meta-Llama-3.3-70B-Instruct'],
  headerBuckets: openAIHeaderBuckets({
    buckets: [
      { kind: 'requests', window: 'minute' },
      { kind: 'requests', window: 'day', suffix: 'requests-day' },
    ],
  }),
});
