import { classifyFailure } from '../classify-failure.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/** OpenAI: per-minute request and token buckets per model, Go-style duration resets. */
export const openai: ProviderPreset = {
  id: 'openai',
  name: 'OpenAI',
  baseUrl: 'https://api.openai.com/v1',
  envKeys: ['OPENAI_API_KEY'],
  suggestedModels: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1-nano'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'minute',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-requests',
      remainingHeader: 'x-ratelimit-remaining-requests',
      resetHeader: 'x-ratelimit-reset-requests',
      resetFormat: 'duration',
    },
    {
      kind: 'tokens',
      window: 'minute',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-tokens',
      remainingHeader: 'x-ratelimit-remaining-tokens',
      resetHeader: 'x-ratelimit-reset-tokens',
      resetFormat: 'duration',
    },
  ],
  classify: (answer) => classifyFailure(answer),
};
