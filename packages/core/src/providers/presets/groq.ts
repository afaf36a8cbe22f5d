import { readUsage } from '../../streaming/chunk-info.ts';
import { definePreset } from '../define-preset.ts';
import { openAIHeaderBuckets } from '../openai-header-buckets.ts';
import type { ProviderPreset } from '../provider-preset.ts';

/**
 * Groq: the `…-requests` headers describe the **daily** request bucket and `…-tokens` the
 * per-minute token bucket (trap 1). Which limit a 429 hit (RPM, RPD, TPM, TPD) is only in
 * the message, which the shared classifier reads, with its "Please try again in 2s".
 */
export const groq: ProviderPreset = definePreset({
  id: 'groq',
  name: 'Groq',
  baseUrl: 'https://api.groq.com/openai/v1',
  envKeys: ['GROQ_API_KEY'],
  suggestedModels: ['llama-3.1-8b-instant', 'llama-3.3-70b-versatile', 'openai/gpt-oss-20b'],
  headerBuckets: openAIHeaderBuckets({
    // Trap 1: Groq's `requests` headers are the daily bucket.
    buckets: [
      { kind: 'requests', window: 'day' },
      { kind: 'tokens', window: 'minute' },
    ],
    resetFormat: 'duration',
  }),
  chargesMaxTokensUpfront: true,
  // Its stream's last chunk carries the usage in `x_groq.usage` when `usage` is absent.
  readUsage: (chunk) => readUsage((chunk.x_groq as Record<string, unknown> | undefined)?.usage),
  // Free tier of llama-3.3-70b-versatile; smaller models allow more.
  knownLimits: {
    requestsPerMinute: 30,
    requestsPerDay: 1_000,
    tokensPerMinute: 12_000,
    tokensPerDay: 100_000,
  },
});
