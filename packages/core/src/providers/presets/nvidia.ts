import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/** NVIDIA NIM: no limit headers (about 40 requests a minute); a 429 is `{status:429,title:"Too Many Requests"}`. */
export const nvidia: ProviderPreset = definePreset({
  id: 'nvidia',
  name: 'NVIDIA NIM',
  baseUrl: 'https://integrate.api.nvidia.com/v1',
  envKeys: ['NVIDIA_API_KEY'],
  suggestedModels: ['meta/llama-3.1-8b-instruct', 'meta/llama-3.3-70b-instruct'],
  headerBuckets: [],
  knownLimits: { requestsPerMinute: 40 },
});
