import type { BucketWindow } from '../rate-limit/bucket.ts';
import { nextDailyReset, nextWindowEnd } from './daily-reset.ts';
import { parseDuration, parseResetValue, parseRetryAfter, parseRetryHint } from './parse-reset.ts';
import type { DailyResetClock, ErrorAnswer, FailureClassification, FailureKind } from './provider-preset.ts';
import { type ErrorBodyInfo, readErrorBody } from './read-error-body.ts';
import { readStatedLimits } from './read-stated-limits.ts';

/** What a preset may tell the shared classifier. */
export interface ClassifyFailureOptions {
  /** The body, when the preset has already read (or rewritten) it. @default readErrorBody(answer.body) */
  body?: ErrorBodyInfo | undefined;
  /** More text to read wording and retry hints from (OpenRouter's `metadata.raw`, a header). */
  extraText?: string | undefined;
  /** Where daily quotas reset; fills `retryAt` of a daily quota whose answer gives no hint. */
  dailyReset?: DailyResetClock | undefined;
  /**
   * Whether a daily or monthly quota ignores the answer's retry hints and waits for the
   * clock (`dailyReset`, the month start), for providers whose hints describe a shorter window.
   * @default false
   */
  quotaWaitsForClock?: boolean | undefined;
  /**
   * Whether a limit whose answer gives no hint clears at the next wall-clock boundary of its
   * window (Mistral's fixed minute).
   * @default false
   */
  clearsAtWindowEnd?: boolean | undefined;
}

/** What a limit counts, when the answer says. */
export type LimitSubject = 'requests' | 'tokens';

/**
 * The shared classifier (docs/rate-limits.md, "What each failure does"): reads status, body and headers of a failed answer
 * the way most OpenAI-compatible providers write them. Presets wrap it with their own rules.
 */
export function classifyFailure(
  answer: ErrorAnswer,
  options: ClassifyFailureOptions = {},
): FailureClassification {
  const body = options.body ?? readErrorBody(answer.body);
  const wording = wordingOf(body, options.extraText);
  const verdict = decide(answer.status, body, wording);
  const longQuota = verdict.kind === 'quota' && (verdict.window === 'day' || verdict.window === 'month');
  const trustHints = RETRYABLE.has(verdict.kind) && !(longQuota && options.quotaWaitsForClock === true);
  const retryAt =
    (trustHints ? findRetryAt(answer, body, options.extraText) : undefined) ??
    clockRetryAt(verdict, answer.now, options);
  const limited = verdict.kind === 'rate-limit' || verdict.kind === 'quota';
  return {
    kind: verdict.kind,
    scope: verdict.scope,
    window: verdict.window,
    retryAt,
    subject: verdict.subject,
    limits: limited
      ? readStatedLimits(body, {
          headers: answer.headers,
          window: verdict.window,
          subject: verdict.subject,
          extraText: options.extraText,
        })
      : undefined,
    reason: failureReason(answer.status, verdict.label, retryAt, answer.now),
    message: messageOf(answer, body),
    code: body.code,
    type: body.type,
    param: body.param,
  };
}

/** When a limit the answer gives no time for clears by the clock: a month start, a daily reset, a window end. */
function clockRetryAt(verdict: Verdict, now: number, options: ClassifyFailureOptions): number | undefined {
  if (verdict.kind !== 'quota' && verdict.kind !== 'rate-limit') return undefined;
  if (verdict.kind === 'quota' && verdict.window === 'month') return nextWindowEnd('month', now);
  if (verdict.kind === 'quota' && verdict.window === 'day' && options.dailyReset !== undefined) {
    return nextDailyReset(options.dailyReset, now);
  }
  if (options.clearsAtWindowEnd === true && verdict.window !== undefined) {
    return nextWindowEnd(verdict.window, now);
  }
  return undefined;
}

/** What a preset's own rule changes in a verdict; `scope` and `window` are cleared unless given. */
export interface FailureOverride {
  kind: FailureKind;
  /** The reason's label, e.g. `overloaded (queue full)`; the status and wait are added. */
  label: string;
  scope?: 'key' | 'model' | undefined;
  window?: BucketWindow | undefined;
  /** @default the verdict's own `retryAt` */
  retryAt?: number | undefined;
}

/** Applies a preset's own rule to a shared verdict and rebuilds its reason. */
export function reclassify(
  verdict: FailureClassification,
  answer: ErrorAnswer,
  override: FailureOverride,
): FailureClassification {
  const retryAt = 'retryAt' in override ? override.retryAt : verdict.retryAt;
  return {
    ...verdict,
    kind: override.kind,
    scope: override.scope,
    window: override.window,
    retryAt,
    reason: failureReason(answer.status, override.label, retryAt, answer.now),
  };
}

/** The kinds whose answers may say when to come back. */
const RETRYABLE: ReadonlySet<FailureKind> = new Set(['rate-limit', 'quota', 'no-credit', 'server']);

interface Verdict {
  kind: FailureKind;
  label: string;
  window?: BucketWindow | undefined;
  scope?: 'key' | 'model' | undefined;
  subject?: LimitSubject | undefined;
}

function decide(status: number, body: ErrorBodyInfo, wording: string): Verdict {
  if (status === 402) return { kind: 'no-credit', scope: 'key', label: 'out of credit' };
  if (status === 413) return { kind: 'too-large', label: 'request too large' };
  if (status === 429) return decideTooManyRequests(body, wording);
  if (status === 400 || status === 422) {
    if (saysContextLength(wording)) return { kind: 'context-length', label: 'context length exceeded' };
    if (saysModelNotFound(wording)) return { kind: 'not-found', label: 'model not found' };
    return { kind: 'invalid-request', label: 'invalid request' };
  }
  if (status === 401 || status === 403) {
    if (saysNoCredit(wording)) return { kind: 'no-credit', scope: 'key', label: 'out of credit' };
    return { kind: 'auth', scope: 'key', label: status === 401 ? 'invalid key' : 'forbidden' };
  }
  if (status === 404) return { kind: 'not-found', label: 'model not found' };
  if (status === 408) return { kind: 'server', label: 'request timeout' };
  if (status >= 400 && status < 500) return { kind: 'invalid-request', label: 'invalid request' };
  return { kind: 'server', label: saysOverloaded(wording) ? 'overloaded' : 'server error' };
}

function decideTooManyRequests(body: ErrorBodyInfo, wording: string): Verdict {
  if (NO_CREDIT_CODE.test(body.code ?? '') || NO_CREDIT_CODE.test(body.type ?? '')) {
    return { kind: 'no-credit', scope: 'key', label: 'insufficient quota' };
  }
  if (saysTooLarge(wording)) return { kind: 'too-large', label: 'request too large' };
  if (saysOverloaded(wording)) return { kind: 'server', label: 'overloaded' };
  const window = windowOfBody(body, wording);
  const subject = subjectFromWording(wording);
  if (window === 'day' || window === 'month') {
    return { kind: 'quota', scope: 'model', window, subject, label: limitLabel(subject, window) };
  }
  if (saysNoCredit(wording)) return { kind: 'no-credit', scope: 'key', label: 'out of credit' };
  if (window === undefined && /concurren/i.test(wording)) {
    return { kind: 'rate-limit', scope: 'model', label: 'concurrent requests' };
  }
  const shortWindow = window ?? 'minute';
  return {
    kind: 'rate-limit',
    scope: 'model',
    window: shortWindow,
    subject,
    label: limitLabel(subject, shortWindow),
  };
}

/**
 * When the answer says the limit clears (epoch ms): `retry-after-ms` / `retry-after`, then a
 * Google `RetryInfo.retryDelay`, then a hint in the message or body, then an `x-ratelimit-reset`.
 */
export function findRetryAt(
  answer: ErrorAnswer,
  body: ErrorBodyInfo,
  extraText?: string,
): number | undefined {
  const { headers, now } = answer;
  const reset = headers.get('x-ratelimit-reset');
  return (
    parseRetryAfter(headers, now) ??
    retryDelayOf(body.details, now) ??
    parseRetryHint(body.message, now) ??
    (extraText === undefined ? undefined : parseRetryHint(extraText, now)) ??
    parseRetryHint(answer.body, now) ??
    (reset === null ? undefined : parseResetValue(reset, 'auto', now))
  );
}

/** Google's `RetryInfo.retryDelay` (`"26s"`, fractional allowed) as an epoch (ms). */
export function retryDelayOf(details: unknown[] | undefined, now: number): number | undefined {
  for (const detail of details ?? []) {
    if (!isRecord(detail) || typeof detail.retryDelay !== 'string') continue;
    const ms = parseDuration(detail.retryDelay);
    if (ms !== undefined) return now + ms;
  }
  return undefined;
}

/** The `quotaId`s of Google `QuotaFailure` violations (`GenerateRequestsPerDayPerProjectPerModel-FreeTier`). */
export function quotaIdsOf(details: unknown[] | undefined): string[] {
  const ids: string[] = [];
  for (const detail of details ?? []) {
    if (!isRecord(detail) || !Array.isArray(detail.violations)) continue;
    for (const violation of detail.violations) {
      if (isRecord(violation) && typeof violation.quotaId === 'string') ids.push(violation.quotaId);
    }
  }
  return ids;
}

/** Code, type, param, quota ids, message and extra text of an answer, with URLs removed, for wording tests. */
export function wordingOf(body: ErrorBodyInfo, extraText?: string): string {
  return [...quotaIdsOf(body.details), body.code, body.type, body.param, body.message, extraText]
    .filter((part) => part !== undefined && part !== '')
    .join('\n')
    .replace(/\bhttps?:\/\/\S+/g, ' ');
}

/** The window a body describes: the longest among Google quota ids, else the first one its wording names. */
export function windowOfBody(body: ErrorBodyInfo, wording = wordingOf(body)): BucketWindow | undefined {
  const fromQuotaIds = quotaIdsOf(body.details)
    .map(windowFromWording)
    .filter((window) => window !== undefined)
    .sort((a, b) => WINDOW_LENGTH[b] - WINDOW_LENGTH[a])[0];
  return fromQuotaIds ?? windowFromWording(wording);
}

const WINDOW_LENGTH: Readonly<Record<BucketWindow, number>> = {
  none: 0,
  rolling: 0,
  second: 1,
  minute: 2,
  hour: 3,
  day: 4,
  month: 5,
};

const WINDOW_WORDING: ReadonlyArray<readonly [RegExp, BucketWindow]> = [
  [/per[\s_-]?month|\/\s?month|\bmonthly\b|by[\s_-]?month/i, 'month'],
  [/per[\s_-]?day|\/\s?day\b|\bdaily\b|by[\s_-]?day|\b[RT]PD\b|\bneurons?\b|\b24\s?h(?:ours?)?\b/i, 'day'],
  [/per[\s_-]?hour|\/\s?h(?:ou)?r\b|\bhourly\b|by[\s_-]?hour|\b[RT]PH\b/i, 'hour'],
  [/per[\s_-]?min|\/\s?min(?:ute)?\b|by[\s_-]?minute|\b[RT]PM\b/i, 'minute'],
  [/per[\s_-]?sec|\/\s?s(?:ec(?:ond)?)?\b|\b[RT]PS\b/i, 'second'],
];

/** `per 86400s`, `per 60 seconds` (GitHub's wording): the window follows from the length. */
const PER_SECONDS = /per\s?(\d+)\s?s(?:ec(?:ond)?s?)?\b/i;

/** The window wording names first: `per minute`/RPM, `per day`/RPD/daily/PerDay/ByDay/neurons, monthly, `per 86400s`. */
export function windowFromWording(text: string): BucketWindow | undefined {
  let found: { index: number; window: BucketWindow } | undefined;
  for (const [pattern, window] of WINDOW_WORDING) {
    const match = pattern.exec(text);
    if (match !== null && (found === undefined || match.index < found.index))
      found = { index: match.index, window };
  }
  const seconds = PER_SECONDS.exec(text);
  if (seconds !== null && (found === undefined || seconds.index < found.index)) {
    return windowOfSeconds(Number(seconds[1]));
  }
  return found?.window;
}

function windowOfSeconds(seconds: number): BucketWindow {
  if (seconds <= 1) return 'second';
  if (seconds <= 60) return 'minute';
  if (seconds <= 3_600) return 'hour';
  if (seconds <= 86_400) return 'day';
  return 'month';
}

/** Whether wording counts requests or tokens, whichever it names first. */
export function subjectFromWording(text: string): LimitSubject | undefined {
  const tokens = /tokens?|\bTP[SMHD]\b/i.exec(text);
  const requests = /requests?|\bRP[SMHD]\b|\bcalls?\b/i.exec(text);
  if (tokens === null) return requests === null ? undefined : 'requests';
  if (requests === null) return 'tokens';
  return tokens.index < requests.index ? 'tokens' : 'requests';
}

/** Codes and types that mean "no credit", not a short limit (OpenAI's `insufficient_quota`). */
const NO_CREDIT_CODE =
  /^(?:insufficient_quota|insufficient_balance|insufficient_credits?|insufficient_funds|billing_hard_limit_reached|billing_not_active|payment_required)$/i;

const NO_CREDIT_WORDING = new RegExp(
  [
    'insufficient[\\s_-]?(?:quota|credits?|balance|funds)',
    'billing[\\s_-]?(?:hard[\\s_-]?limit|not[\\s_-]?active)',
    'payment[\\s_-]?required',
    '(?:out of|no remaining|not enough|ran out of|run out of) credits?',
    'credits? (?:have been |has been |are |is )?(?:exhausted|depleted|used up|run out)',
    '(?:balance|credit) (?:is )?(?:insufficient|too low|exhausted|depleted)',
    'exceeded your (?:monthly )?(?:included )?credits',
    'requires more credits',
  ].join('|'),
  'i',
);

/** Whether wording says credit or balance is gone (not merely "check your billing details"). */
export function saysNoCredit(text: string): boolean {
  return NO_CREDIT_WORDING.test(text);
}

/** Whether wording says the request itself is too large for the entry (`tokens_limit_reached`). */
export function saysTooLarge(text: string): boolean {
  return /request[\s_-]too[\s_-]large|tokens_limit_reached|payload too large|request entity too large/i.test(
    text,
  );
}

/** Whether wording says the prompt does not fit the model's context window. */
export function saysContextLength(text: string): boolean {
  return /context[\s_-]?(?:length|window)|maximum context|prompt is too long|input (?:is )?too long|too many input tokens|reduce the length of the (?:messages|prompt)/i.test(
    text,
  );
}

/** Whether wording says the provider is overloaded (not your limit): `queue_exceeded`, "over capacity". */
export function saysOverloaded(text: string): boolean {
  return /\boverloaded\b|over capacity|capacity (?:temporarily )?exceeded|exceeded capacity|no (?:available )?capacity|queue_exceeded|high (?:traffic|demand)|server is busy/i.test(
    text,
  );
}

/** Whether wording says the model does not exist (or no longer exists) here. */
export function saysModelNotFound(text: string): boolean {
  return /model_not_found|model_decommissioned|not a valid model|model\b[^.\n]{0,120}?(?:does not exist|not found|has been decommissioned|is no longer (?:supported|available))/i.test(
    text,
  );
}

/** `requests per minute`, `tokens per day`, `daily quota`, `rate limit per minute`. */
export function limitLabel(subject: LimitSubject | undefined, window: BucketWindow): string {
  if (subject !== undefined) return `${subject} per ${window}`;
  if (window === 'day') return 'daily quota';
  if (window === 'month') return 'monthly quota';
  return `rate limit per ${window}`;
}

/** A short reason for the trail: `429 requests per minute, retry in 2s`. */
export function failureReason(
  status: number,
  label: string,
  retryAt: number | undefined,
  now: number,
): string {
  const head = `${status} ${label}`;
  return retryAt === undefined ? head : `${head}, retry in ${formatWait(retryAt - now)}`;
}

/** `370ms`, `2s`, `7.7s`, `1m`, `10m6s`, `9h10m`, `2h`, `21d8h`. */
export function formatWait(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const totalSeconds = Math.round(ms / 1_000);
  if (totalSeconds < 3_600) return joinUnits(Math.floor(totalSeconds / 60), 'm', totalSeconds % 60, 's');
  const totalMinutes = Math.round(ms / 60_000);
  if (totalMinutes < 1_440) return joinUnits(Math.floor(totalMinutes / 60), 'h', totalMinutes % 60, 'm');
  const totalHours = Math.round(ms / 3_600_000);
  return joinUnits(Math.floor(totalHours / 24), 'd', totalHours % 24, 'h');
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;
}

/** The provider's message, else an `x-error-message` header, else the status. */
function messageOf(answer: ErrorAnswer, body: ErrorBodyInfo): string {
  if (body.message !== '') return body.message;
  const header = answer.headers.get('x-error-message');
  return header !== null && header.trim() !== '' ? header.trim() : `Upstream answered ${answer.status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
