import { definePreset } from '../define-preset.ts';
import { openAIHeaderBuckets } from '../openai-header-buckets.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Any OpenAI-compatible server (vLLM, LM Studio, llama.cpp, a proxy): the user gives the base
 * URL; the OpenAI limit headers are read when present, in whatever reset format they use, and
 * every error body shape the other presets know is accepted.
 */
export const generic: ProviderPreset = definePreset({
  id: 'generic',
  name: 'OpenAI-compatible',
  envKeys: [],
  suggestedModels: [],
  keyRequired: false,
  headerBuckets: openAIHeaderBuckets({
    buckets: [
      { kind: 'requests', window: 'minute' },
      { kind: 'tokens', window: 'minute' },
    ],
  }),
});
