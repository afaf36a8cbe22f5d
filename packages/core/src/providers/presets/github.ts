import { classifyFailure, limitLabel, reclassify, windowFromWording } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import { parseResetValue } from '../parse-reset.ts';
import type { ProviderPreset } from '../provider-preset.ts';
import { readErrorBody } from '../read-error-body.ts';

/**
 * GitHub Models: the advertised `x-ratelimit-*` values are not the enforced ones (about 1000×
 * higher), so no header buckets. A 429 names its limit in `x-ratelimit-type` (`UserByMinute`,
 * `UserByModelByDay`, `UserConcurrentRequests`) and says when in `retry-after` (hours for a
 * daily limit) or `x-ratelimit-timeremaining`; a prompt over the per-request token limit is a
 * 413 `tokens_limit_reached`.
 */
export const github: ProviderPreset = definePreset({
  id: 'github',
  name: 'GitHub Models',
  baseUrl: 'https://models.github.ai/inference',
  envKeys: ['GITHUB_TOKEN', 'GH_TOKEN'],
  suggestedModels: ['openai/gpt-4.1-mini', 'openai/gpt-4o-mini', 'meta/Llama-3.3-70B-Instruct'],
  // Its model catalog lives outside the inference API: no free endpoint to probe.
  modelsEndpoint: false,
  headerBuckets: [],
  // Free tier, "low" models: 15 a minute, 150 a day, 5 at once.
  knownLimits: { requestsPerMinute: 15, requestsPerDay: 150, concurrentRequests: 5 },
  classify(answer) {
    const body = readErrorBody(answer.body);
    const limitType = answer.headers.get('x-ratelimit-type')?.trim() ?? '';
    const verdict = classifyFailure(answer, { body, extraText: limitType === '' ? undefined : limitType });
    if (answer.status !== 429 || limitType === '' || verdict.kind === 'too-large') return verdict;
    const remaining = answer.headers.get('x-ratelimit-timeremaining');
    const retryAt =
      verdict.retryAt ?? (remaining === null ? undefined : parseResetValue(remaining, 'seconds', answer.now));
    const scope = /ByModel/i.test(limitType) ? 'model' : 'key';
    if (/Concurrent/i.test(limitType)) {
      return reclassify(verdict, answer, {
        kind: 'rate-limit',
        scope,
        label: 'concurrent requests',
        retryAt,
      });
    }
    const window = windowFromWording(limitType) ?? verdict.window ?? 'minute';
    const long = window === 'day' || window === 'month';
    return reclassify(verdict, answer, {
      kind: long ? 'quota' : 'rate-limit',
      scope,
      window,
      label: `${limitLabel('requests', window)} (${limitType})`,
      retryAt,
    });
  },
});
