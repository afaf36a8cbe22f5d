import { classifyFailure } from '../classify-failure.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Any OpenAI-compatible server (vLLM, LM Studio, llama.cpp, a proxy): the user gives the base
 * URL; the OpenAI limit headers are read when present, in whatever reset format they use, and
 * every error body shape the other presets know is accepted.
 */
export const generic: ProviderPreset = {
  id: 'generic',
  name: 'OpenAI-compatible',
  envKeys: [],
  suggestedModels: [],
  keyRequired: false,
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
      kind: 'tokens',
      window: 'minute',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-tokens',
      remainingHeader: 'x-ratelimit-remaining-tokens',
      resetHeader: 'x-ratelimit-reset-tokens',
      resetFormat: 'auto',
    },
  ],
  classify: (answer) => classifyFailure(answer),
};
