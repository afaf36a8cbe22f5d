import type { ResetFormat } from './provider-preset.ts';

/**
 * Parsers for the many ways providers say "when": Go-style durations, seconds,
 * epochs in seconds or milliseconds, HTTP dates, and prose hints in error messages.
 * Every parser returns `undefined` for anything it cannot read; none throws.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  μs: 0.001,
  ns: 0.000_001,
};

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|us|µs|μs|ns|m|s))+$/;
const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|μs|ns|m|s)/g;

/** A number above this is an epoch, not a count of seconds (1e9 s is September 2001). */
const EPOCH_SECONDS_FLOOR = 1e9;
/** A number above this is an epoch in milliseconds (1e12 ms is September 2001). */
const EPOCH_MILLISECONDS_FLOOR = 1e12;

/** Parses a Go-style duration (`2m59.56s`, `370ms`, `6m0s`) or a bare number of seconds into ms. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (NUMBER.test(value)) return finiteMs(Number(value) * 1000);
  if (!GO_DURATION.test(value)) return undefined;
  let total = 0;
  for (const match of value.matchAll(GO_DURATION_PART)) {
    const amount = Number(match[1]);
    const unit = UNIT_MS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += amount * unit;
  }
  return finiteMs(total);
}

/** Turns a reset header value into an absolute epoch (ms); `window-end` is not read here. */
export function parseResetValue(value: string, format: ResetFormat, now: number): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  switch (format) {
    case 'duration':
    case 'seconds': {
      const ms = parseDuration(text);
      return ms === undefined ? undefined : now + ms;
    }
    case 'epoch':
      return NUMBER.test(text) ? epochMs(Number(text)) : undefined;
    case 'auto':
      return parseAuto(text, now);
    case 'window-end':
      return undefined;
  }
}

/** Reads `retry-after-ms`, else `retry-after` (seconds or an HTTP date), as an epoch (ms). */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const milliseconds = headers.get('retry-after-ms')?.trim();
  if (milliseconds !== undefined && NUMBER.test(milliseconds)) {
    const ms = finiteMs(Number(milliseconds));
    if (ms !== undefined) return now + ms;
  }
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter === undefined || retryAfter === '') return undefined;
  const ms = parseDuration(retryAfter);
  if (ms !== undefined) return now + ms;
  return parseHttpDate(retryAfter);
}

const HINT_KEYWORD = /try again|retry|wait|resets? in/gi;
/** What may stand between the keyword and the number: ` in `, ` after `, `":"`. No digit, no sentence end. */
const HINT_GAP = /[^\d.!?;\n]{0,24}/y;
const HINT_PART =
  /\s*,?\s*(?:and\s+)?(\d+(?:\.\d+)?|\.\d+)\s*(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)(?![a-z])/iy;

const PROSE_UNIT_MS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:milliseconds?|msecs?|ms)$/, 1],
  [/^(?:seconds?|secs?|s)$/, 1_000],
  [/^(?:minutes?|mins?|m)$/, 60_000],
  [/^(?:hours?|hrs?|h)$/, 3_600_000],
];

/** Finds a retry hint in prose ("try again in 2s", "wait 5631 seconds", `"retryDelay":"26s"`) as an epoch (ms). */
export function parseRetryHint(text: string, now: number): number | undefined {
  for (const keyword of text.matchAll(HINT_KEYWORD)) {
    HINT_GAP.lastIndex = keyword.index + keyword[0].length;
    if (!HINT_GAP.test(text)) continue;
    const ms = readProseDuration(text, HINT_GAP.lastIndex);
    if (ms !== undefined) return now + ms;
  }
  return undefined;
}

/** Sums `1m30.5s`, `20 seconds`, `2 minutes and 5 seconds` starting at `from`. */
function readProseDuration(text: string, from: number): number | undefined {
  let total: number | undefined;
  HINT_PART.lastIndex = from;
  for (let match = HINT_PART.exec(text); match !== null; match = HINT_PART.exec(text)) {
    const unit = (match[2] ?? '').toLowerCase();
    const factor = PROSE_UNIT_MS.find(([pattern]) => pattern.test(unit))?.[1];
    if (factor === undefined) break;
    total = (total ?? 0) + Number(match[1]) * factor;
  }
  return total === undefined ? undefined : finiteMs(total);
}

function parseAuto(text: string, now: number): number | undefined {
  if (NUMBER.test(text)) {
    const number = Number(text);
    return number > EPOCH_SECONDS_FLOOR ? epochMs(number) : finiteMs(number * 1000, now);
  }
  const ms = parseDuration(text);
  if (ms !== undefined) return now + ms;
  return parseHttpDate(text);
}

/** An epoch in seconds or milliseconds, told apart by magnitude; `undefined` if it cannot be an epoch. */
function epochMs(number: number): number | undefined {
  if (!Number.isFinite(number) || number <= EPOCH_SECONDS_FLOOR) return undefined;
  return Math.round(number > EPOCH_MILLISECONDS_FLOOR ? number : number * 1000);
}

/** An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) or ISO 8601 date; bare numbers are not dates. */
function parseHttpDate(text: string): number | undefined {
  if (!/[a-z]/i.test(text) && !/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

function finiteMs(ms: number, offset = 0): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? offset + Math.round(ms) : undefined;
}
