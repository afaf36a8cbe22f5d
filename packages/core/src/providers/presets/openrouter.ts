import { classifyFailure, limitLabel, reclassify } from '../classify-failure.ts';
import { nextDailyReset } from '../daily-reset.ts';
import { definePreset } from '../define-preset.ts';
import { parseResetValue } from '../parse-reset.ts';
import type { ErrorAnswer, FailureClassification, ProviderPreset } from '../provider-preset.ts';
import { type ErrorBodyInfo, readErrorBody } from '../read-error-body.ts';

/**
 * OpenRouter: no limit headers on 200s. Its own 429s (`free-models-per-day`, `free-models-per-min`)
 * limit the whole account and carry `X-RateLimit-Reset` (epoch ms) in the headers and in
 * `error.metadata.headers`; an upstream provider's error arrives as "Provider returned error"
 * with the real body in `metadata.raw`. Every failed retry on the daily cap costs quota too,
 * so the daily cap parks the account until the reset (a UTC midnight).
 */
export const openrouter: ProviderPreset = definePreset({
  id: 'openrouter',
  name: 'OpenRouter',
  baseUrl: 'https://openrouter.ai/api/v1',
  envKeys: ['OPENROUTER_API_KEY'],
  suggestedModels: [
    'meta-llama/llama-3.3-70b-instruct:free',
    'deepseek/deepseek-chat-v3-0324:free',
    'qwen/qwen3-coder:free',
  ],
  headerBuckets: [],
  dailyReset: 'utc',
  // Free models without purchased credits (1000 a day with 10 credits bought).
  knownLimits: { requestsPerMinute: 20, requestsPerDay: 50 },
  classify(answer) {
    const body = readErrorBody(answer.body);
    const metadata = body.metadata ?? {};
    if (answer.status === 403 && (Array.isArray(metadata.reasons) || /flagged/i.test(body.message))) {
      const verdict = classifyFailure(answer, { body });
      return reclassify(verdict, answer, { kind: 'invalid-request', label: 'flagged by moderation' });
    }
    if (typeof metadata.raw === 'string' && metadata.raw.trim() !== '')
      return classifyUpstream(answer, body, metadata);
    if (/free-models-per-day/i.test(body.message)) return classifyAccountLimit(answer, body, 'day');
    if (/free-models-per-min/i.test(body.message)) return classifyAccountLimit(answer, body, 'minute');
    return classifyFailure(answer, { body, dailyReset: 'utc' });
  },
});

/** OpenRouter's own per-account limit: reset from `X-RateLimit-Reset` (headers, then metadata). */
function classifyAccountLimit(
  answer: ErrorAnswer,
  body: ErrorBodyInfo,
  window: 'day' | 'minute',
): FailureClassification {
  const verdict = classifyFailure(answer, { body, dailyReset: 'utc' });
  const reset = resetOf(answer, body.metadata);
  const headerLimit = metadataHeader(answer, body.metadata, 'x-ratelimit-limit');
  const stated = headerLimit === undefined ? undefined : Number(headerLimit);
  const retryAt =
    window === 'day' ? (reset ?? nextDailyReset('utc', answer.now)) : (reset ?? verdict.retryAt);
  const classified = reclassify(verdict, answer, {
    kind: window === 'day' ? 'quota' : 'rate-limit',
    label: `free models ${limitLabel('requests', window)}`,
    scope: 'key',
    window,
    retryAt,
  });
  const limit =
    stated !== undefined && Number.isSafeInteger(stated) && stated > 0
      ? {
          kind: 'requests' as const,
          limit: stated,
          window,
          scope: 'key' as const,
          evidence: answer.headers.has('x-ratelimit-limit') ? ('header' as const) : ('body' as const),
        }
      : undefined;
  return { ...classified, subject: 'requests', limits: limit ? [limit] : [] };
}

/** "Provider returned error": classify the upstream provider's own body from `metadata.raw`. */
function classifyUpstream(
  answer: ErrorAnswer,
  body: ErrorBodyInfo,
  metadata: Record<string, unknown>,
): FailureClassification {
  const raw = String(metadata.raw);
  const upstream = readErrorBody(raw);
  const provider = typeof metadata.provider_name === 'string' ? metadata.provider_name : 'upstream';
  const message = upstream.message !== '' ? upstream.message : body.message;
  const verdict = classifyFailure(answer, { body: { ...upstream, message }, extraText: body.message });
  return {
    ...verdict,
    message: `${provider}: ${message}`,
    code: verdict.code ?? body.code,
    reason: `${verdict.reason} (via ${provider})`,
  };
}

/** `X-RateLimit-Reset` from the response headers, else from `error.metadata.headers`; epoch ms or s. */
function resetOf(answer: ErrorAnswer, metadata: Record<string, unknown> | undefined): number | undefined {
  const fromHeaders = answer.headers.get('x-ratelimit-reset');
  if (fromHeaders !== null) {
    const reset = parseResetValue(fromHeaders, 'epoch', answer.now);
    if (reset !== undefined) return reset;
  }
  const value = metadataHeader(answer, metadata, 'x-ratelimit-reset', false);
  return value === undefined ? undefined : parseResetValue(value, 'epoch', answer.now);
}

/** A header of the 429 (unless `fromResponse` is false), else the same one in `error.metadata.headers`. */
function metadataHeader(
  answer: ErrorAnswer,
  metadata: Record<string, unknown> | undefined,
  name: string,
  fromResponse = true,
): string | undefined {
  const own = fromResponse ? answer.headers.get(name) : null;
  if (own !== null) return own;
  const headers = metadata?.headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}
