import { classifyFailure, reclassify } from '../classify-failure.ts';
import { definePreset } from '../define-preset.ts';
import type { ProviderPreset } from '../provider-preset.ts';
import { readErrorBody } from '../read-error-body.ts';

/**
 * Google Gemini (OpenAI endpoint): no limit headers. A 429 is `RESOURCE_EXHAUSTED` whose
 * `QuotaFailure.quotaId` says minute or day and whose `RetryInfo.retryDelay` says when; the body may
 * be wrapped in a JSON array. Daily quotas reset at midnight Pacific, whatever `retryDelay` says.
 * Its 429 message reads "check your plan and billing details": that is not a credit problem.
 */
export const gemini: ProviderPreset = definePreset({
  id: 'gemini',
  name: 'Google Gemini',
  baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
  envKeys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  suggestedModels: ['gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.5-pro'],
  headerBuckets: [],
  dailyReset: 'pacific',
  // Free tier of gemini-2.5-flash.
  knownLimits: { requestsPerMinute: 10, requestsPerDay: 250, tokensPerMinute: 250_000 },
  classify(answer) {
    const body = readErrorBody(answer.body);
    const verdict = classifyFailure(answer, { body, dailyReset: 'pacific', quotaWaitsForClock: true });
    if (answer.status === 400 && isInvalidKey(body.details, body.message)) {
      return reclassify(verdict, answer, {
        kind: 'auth',
        scope: 'key',
        label: 'invalid key',
        retryAt: undefined,
      });
    }
    return verdict;
  },
});

/** Google answers a bad or expired key with 400 `INVALID_ARGUMENT` and an `ErrorInfo` reason. */
function isInvalidKey(details: unknown[] | undefined, message: string): boolean {
  const reasons = (details ?? []).map((detail) =>
    typeof detail === 'object' && detail !== null && 'reason' in detail ? String(detail.reason) : '',
  );
  return (
    reasons.some((reason) => reason === 'API_KEY_INVALID' || reason === 'API_KEY_EXPIRED') ||
    /API key (?:not valid|expired|invalid)/i.test(message)
  );
}
