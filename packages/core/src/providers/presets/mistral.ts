import { classifyFailure, reclassify } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import { dropProviderFields, nineAlphanumerics, rewriteToolCallIds } from '../portable-history.ts';
import type { ProviderPreset } from '../provider-preset.ts';
import { readErrorBody } from '../read-error-body.ts';

/**
 * Mistral: `x-ratelimit-{limit,remaining}-{req-minute,tokens-minute,tokens-month}` without a reset
 * header (the minute is a fixed wall-clock minute; headers are dropped on streams). Errors are
 * top-level `{object:"error",type:"rate_limited",code:"1300",message}`; code 3505 means the
 * service tier is out of capacity, not that your limit is spent.
 */
export const mistral: ProviderPreset = definePreset({
  id: 'mistral',
  name: 'Mistral',
  baseUrl: 'https://api.mistral.ai/v1',
  envKeys: ['MISTRAL_API_KEY'],
  suggestedModels: ['mistral-small-latest', 'open-mistral-nemo', 'codestral-latest'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'minute',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-req-minute',
      remainingHeader: 'x-ratelimit-remaining-req-minute',
      resetFormat: 'window-end',
    },
    {
      kind: 'tokens',
      window: 'minute',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-tokens-minute',
      remainingHeader: 'x-ratelimit-remaining-tokens-minute',
      resetFormat: 'window-end',
    },
    {
      kind: 'tokens',
      window: 'month',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit-tokens-month',
      remainingHeader: 'x-ratelimit-remaining-tokens-month',
      resetFormat: 'window-end',
    },
  ],
  // Free "Experiment" tier: 1 request per second, 500k tokens per minute.
  knownLimits: { requestsPerMinute: 60, tokensPerMinute: 500_000 },
  // Tool-call ids must be exactly nine letters or digits; unknown message fields are a 422.
  rewriteRequest: (body) => rewriteToolCallIds(dropProviderFields(body), nineAlphanumerics),
  classify(answer) {
    const body = readErrorBody(answer.body);
    const verdict = classifyFailure(answer, { body, clearsAtWindowEnd: true });
    if (body.code === '3505') {
      return reclassify(verdict, answer, { kind: 'server', label: 'overloaded (service tier capacity)' });
    }
    return verdict;
  },
});
