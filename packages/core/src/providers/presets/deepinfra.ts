import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/** DeepInfra: OpenAI-compatible under `/v1/openai`; no limit headers, shared error rules. */
export const deepinfra: ProviderPreset = definePreset({
  id: 'deepinfra',
  name: 'DeepInfra',
  baseUrl: 'https://api.deepinfra.com/v1/openai',
  envKeys: ['DEEPINFRA_API_KEY', 'DEEPINFRA_TOKEN'],
  suggestedModels: ['meta-llama/Meta-Llama-3.1-8B-Instruct'],
  headerBuckets: [],
});
