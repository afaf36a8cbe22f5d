import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Cohere (compatibility API): `x-trial-endpoint-call-{limit,remaining}` on 200s only, no reset
 * header (read as the wall-clock minute), prose errors, and it rejects `stream_options`.
 * A trial key's "1000 API calls / month" is a monthly quota.
 */
export const cohere: ProviderPreset = definePreset({
  id: 'cohere',
  name: 'Cohere',
  baseUrl: 'https://api.cohere.ai/compatibility/v1',
  envKeys: ['COHERE_API_KEY', 'CO_API_KEY'],
  suggestedModels: ['command-r7b-12-2024', 'command-a-03-2025'],
  // Its compatibility API serves chat and embeddings only: no free endpoint to probe.
  modelsEndpoint: false,
  headerBuckets: [
    {
      kind: 'requests',
      window: 'minute',
      scope: 'key',
      limitHeader: 'x-trial-endpoint-call-limit',
      remainingHeader: 'x-trial-endpoint-call-remaining',
      resetFormat: 'window-end',
    },
  ],
  acceptsStreamOptions: false,
  // Trial key: 20 chat calls a minute (and 1000 calls a month).
  knownLimits: { requestsPerMinute: 20 },
});
