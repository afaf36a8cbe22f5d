import { classifyFailure, reclassify } from '../classify-failure.ts';
import { nextWindowEnd } from '../daily-reset.ts';
import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Hugging Face Inference Providers: no limit headers. A 402 with `x-error-message` means the
 * monthly included credits are gone: the key is parked until the next month starts.
 */
export const huggingface: ProviderPreset = definePreset({
  id: 'huggingface',
  name: 'Hugging Face',
  baseUrl: 'https://router.huggingface.co/v1',
  envKeys: ['HF_TOKEN', 'HUGGINGFACE_API_KEY', 'HUGGING_FACE_HUB_TOKEN'],
  suggestedModels: ['meta-llama/Llama-3.1-8B-Instruct'],
  headerBuckets: [],
  classify(answer) {
    const verdict = classifyFailure(answer);
    if (answer.status !== 402) return verdict;
    return reclassify(verdict, answer, {
      kind: 'no-credit',
      scope: 'key',
      window: 'month',
      label: 'monthly credits used up',
      retryAt: nextWindowEnd('month', answer.now),
    });
  },
});
