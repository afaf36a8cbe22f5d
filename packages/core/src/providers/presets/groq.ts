import { classifyFailure } from '../classify-failure.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Groq: the `…-requests` headers describe the **daily** request bucket and `…-tokens` the
 * per-minute token bucket (trap 1). Which limit a 429 hit (RPM, RPD, TPM, TPD) is only in
 * the message, which the shared classifier reads, with its "Please try again in 2s".
 */
export const groq: ProviderPreset = {
  id: 'groq',
  name: 'Groq',
  baseUrl: 'https://api.groq.com/openai/v1',
  envKeys: ['GROQ_API_KEY'],
  suggestedModels: ['llama-3.1-8b-instant', 'llama-3.3-70b-versatile', 'openai/gpt-oss-20b'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'day',
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
  chargesMaxTokensUpfront: true,
  // Free tier of llama-3.3-70b-versatile; smaller models allow more.
  knownLimits: {
    requestsPerMinute: 30,
    requestsPerDay: 1_000,
    tokensPerMinute: 12_000,
    tokensPerDay: 100_000,
  },
  classify: (answer) => classifyFailure(answer),
};
