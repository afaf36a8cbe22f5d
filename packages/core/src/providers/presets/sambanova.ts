import { classifyFailure } from '../classify-failure.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * SambaNova: `x-ratelimit-*-requests` per minute and `x-ratelimit-*-requests-day` per day.
 * The reset format is uncertain (epoch seconds or a duration), so it is read as `auto`.
 */
export const sambanova: ProviderPreset = {
  id: 'sambanova',
  name: 'SambaNova',
  baseUrl: 'https://api.sambanova.ai/v1',
  envKeys: ['SAMBANOVA_API_KEY'],
  suggestedModels: ['Meta-Llama-3.1-8B-Instruct', 'Meta-Llama-3.3-70B-Instruct'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'minute',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-requests',
      remainingHeader: 'x-ratelimit-remaining-requests',
      resetHeader: 'x-ratelimit-reset-requests',
      resetFormat: 'auto',
    },
    {
      kind: 'requests',
      window: 'day',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-requests-day',
      remainingHeader: 'x-ratelimit-remaining-requests-day',
      resetHeader: 'x-ratelimit-reset-requests-day',
      resetFormat: 'auto',
    },
  ],
  classify: (answer) => classifyFailure(answer),
};
