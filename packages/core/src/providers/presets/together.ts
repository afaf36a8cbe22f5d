import { classifyFailure, limitLabel, reclassify } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';
import { readErrorBody } from '../read-error-body.ts';

/**
 * Together AI: per-second limits in `x-ratelimit-{limit,remaining,reset}` (the reset is a
 * suggested wait in seconds) and `x-tokenlimit-{limit,remaining}`. A 429 with
 * `dynamic_request_limited` / `dynamic_token_limited` is a short per-second limit; a 503 means
 * capacity, even below your rate.
 */
export const together: ProviderPreset = definePreset({
  id: 'together',
  name: 'Together AI',
  baseUrl: 'https://api.together.xyz/v1',
  envKeys: ['TOGETHER_API_KEY'],
  suggestedModels: ['meta-llama/Llama-3.3-70B-Instruct-Turbo-Free'],
  headerBuckets: [
    {
      kind: 'requests',
      window: 'second',
      scope: 'model',
      limitHeader: 'x-ratelimit-limit',
      remainingHeader: 'x-ratelimit-remaining',
      resetHeader: 'x-ratelimit-reset',
      resetFormat: 'seconds',
    },
    {
      kind: 'tokens',
      window: 'second',
      scope: 'model',
      limitHeader: 'x-tokenlimit-limit',
      remainingHeader: 'x-tokenlimit-remaining',
      resetFormat: 'window-end',
    },
  ],
  classify(answer) {
    const body = readErrorBody(answer.body);
    const verdict = classifyFailure(answer, { body });
    const dynamic = /^dynamic_(request|token)_limited$/.exec(body.code ?? body.type ?? '');
    if (answer.status !== 429 || dynamic === null || verdict.kind !== 'rate-limit') return verdict;
    const subject = dynamic[1] === 'token' ? 'tokens' : 'requests';
    return reclassify(verdict, answer, {
      kind: 'rate-limit',
      scope: 'model',
      window: 'second',
      label: `${limitLabel(subject, 'second')} (dynamic)`,
    });
  },
});
