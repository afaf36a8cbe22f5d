import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Ollama on this machine: no key and no limits. Its rare 429 ("server busy … maximum pending
 * requests exceeded", `OLLAMA_MAX_QUEUE`) reads as a rate limit, but `rateLimited: false` tells
 * the router never to cool a local server down for it.
 */
export const ollama: ProviderPreset = definePreset({
  id: 'ollama',
  name: 'Ollama',
  baseUrl: 'http://127.0.0.1:11434/v1',
  envKeys: [],
  suggestedModels: ['llama3.2', 'qwen2.5'],
  keyRequired: false,
  rateLimited: false,
  headerBuckets: [],
});
