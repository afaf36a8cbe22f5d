import { definePreset } from '../define-preset.ts';
import { openAIHeaderBuckets } from '../openai-header-buckets.ts';
import { atMostCharacters, dropProviderFields, rewriteToolCallIds } from '../portable-history.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/** OpenAI: per-minute request and token buckets per model, Go-style duration resets. */
export const openai: ProviderPreset = definePreset({
  id: 'openai',
  name: 'OpenAI',
  baseUrl: 'https://api.openai.com/v1',
  envKeys: ['OPENAI_API_KEY'],
  suggestedModels: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1-nano'],
  headerBuckets: openAIHeaderBuckets({
    buckets: [
      { kind: 'requests', window: 'minute' },
      { kind: 'tokens', window: 'minute' },
    ],
    resetFormat: 'duration',
  }),
  // Tool-call ids longer than 40 characters are a 400.
  rewriteRequest: (body) => rewriteToolCallIds(dropProviderFields(body), atMostCharacters(40)),
});
