import { classifyFailure, reclassify } from '../classify-failure.ts';
import { nextDailyReset } from '../daily-reset.ts';
import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';
import { readErrorBody } from '../read-error-body.ts';

/** Cloudflare error code: the account's daily free allocation (10,000 neurons) is used up. */
const DAILY_ALLOCATION_CODES: ReadonlySet<string> = new Set(['3036', '4006']);
/** Cloudflare error code: capacity temporarily exceeded (the service, not your quota). */
const CAPACITY_CODE = '3040';

/**
 * Cloudflare Workers AI: no limit headers; errors are `{errors:[{code,message}],success:false}`.
 * Code 3036 is the account's daily free allocation, which resets at 00:00 UTC; 3040 is capacity.
 * `{account}` in the base URL is replaced by the provider's account id.
 */
export const cloudflare: ProviderPreset = definePreset({
  id: 'cloudflare',
  name: 'Cloudflare Workers AI',
  baseUrl: 'https://api.cloudflare.com/client/v4/accounts/{account}/ai/v1',
  envKeys: ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_API_KEY'],
  suggestedModels: ['@cf/meta/llama-3.1-8b-instruct', '@cf/meta/llama-3.3-70b-instruct-fp8-fast'],
  // Workers AI lists models elsewhere (`/ai/models/search`): no free endpoint to probe here.
  modelsEndpoint: false,
  headerBuckets: [],
  dailyReset: 'utc',
  // Text generation: 300 requests a minute; the daily allocation is counted in neurons.
  knownLimits: { requestsPerMinute: 300 },
  classify(answer) {
    const body = readErrorBody(answer.body);
    const verdict = classifyFailure(answer, { body, dailyReset: 'utc', quotaWaitsForClock: true });
    const code = body.code ?? '';
    if (DAILY_ALLOCATION_CODES.has(code)) {
      return reclassify(verdict, answer, {
        kind: 'quota',
        scope: 'key',
        window: 'day',
        label: 'daily neuron allocation',
        retryAt: nextDailyReset('utc', answer.now),
      });
    }
    if (code === CAPACITY_CODE)
      return reclassify(verdict, answer, { kind: 'server', label: 'overloaded (capacity)' });
    return verdict;
  },
});
