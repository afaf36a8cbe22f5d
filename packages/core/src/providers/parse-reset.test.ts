import { describe, expect, test } from 'vitest';
import { parseDuration, parseResetValue, parseRetryAfter, parseRetryHint } from './parse-reset.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);

describe('parseDuration', () => {
  test.each([
    ['2m59.56s', 179_560],
    ['7.66s', 7_660],
    ['370ms', 370],
    ['6m0s', 360_000],
    ['1h2m3s', 3_723_000],
    ['26s', 26_000],
    ['1.5s', 1_500],
    ['12ms', 12],
    ['0s', 0],
    ['1500us', 2],
    ['10m6.048s', 606_048],
  ])('reads the Go duration %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test('reads a bare number as seconds', () => {
    expect(parseDuration('60')).toBe(60_000);
    expect(parseDuration('33011.38')).toBe(33_011_380);
    expect(parseDuration(' 2 ')).toBe(2_000);
  });

  test.each(['', 'soon', '-1s', '-5', 'NaN', '1d', 's', '2m junk', '1.2.3s', 'Infinity'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('parseResetValue', () => {
  test('reads a duration relative to now', () => {
    expect(parseResetValue('2m59.56s', 'duration', NOW)).toBe(NOW + 179_560);
  });

  test('reads float seconds relative to now', () => {
    expect(parseResetValue('33011.38', 'seconds', NOW)).toBe(NOW + 33_011_380);
  });

  test('tells epoch milliseconds from epoch seconds by magnitude', () => {
    const midnight = Date.UTC(2026, 2, 11);
    expect(parseResetValue(String(midnight), 'epoch', NOW)).toBe(midnight);
    expect(parseResetValue(String(midnight / 1000), 'epoch', NOW)).toBe(midnight);
  });

  test('refuses an epoch too small to be one', () => {
    expect(parseResetValue('60', 'epoch', NOW)).toBeUndefined();
    expect(parseResetValue('tomorrow', 'epoch', NOW)).toBeUndefined();
  });

  test('auto reads durations, seconds, epochs and HTTP dates', () => {
    expect(parseResetValue('7.66s', 'auto', NOW)).toBe(NOW + 7_660);
    expect(parseResetValue('60', 'auto', NOW)).toBe(NOW + 60_000);
    expect(parseResetValue('1773187200', 'auto', NOW)).toBe(1_773_187_200_000);
    expect(parseResetValue('1773187200000', 'auto', NOW)).toBe(1_773_187_200_000);
    expect(parseResetValue('Wed, 11 Mar 2026 00:00:00 GMT', 'auto', NOW)).toBe(Date.UTC(2026, 2, 11));
    expect(parseResetValue('2026-03-11T00:00:00Z', 'auto', NOW)).toBe(Date.UTC(2026, 2, 11));
  });

  test('leaves window-end to the header reader and rejects garbage', () => {
    expect(parseResetValue('60', 'window-end', NOW)).toBeUndefined();
    expect(parseResetValue('', 'auto', NOW)).toBeUndefined();
    expect(parseResetValue('later', 'auto', NOW)).toBeUndefined();
    expect(parseResetValue('-3', 'seconds', NOW)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  test('prefers retry-after-ms', () => {
    const headers = new Headers({ 'retry-after-ms': '1500', 'retry-after': '2' });
    expect(parseRetryAfter(headers, NOW)).toBe(NOW + 1_500);
  });

  test('reads retry-after as seconds, possibly fractional', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '7' }), NOW)).toBe(NOW + 7_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), NOW)).toBe(NOW + 500);
  });

  test('reads retry-after as an HTTP date', () => {
    const headers = new Headers({ 'retry-after': 'Tue, 10 Mar 2026 15:31:00 GMT' });
    expect(parseRetryAfter(headers, NOW)).toBe(NOW + 60_000);
  });

  test('falls back to retry-after when retry-after-ms is malformed', () => {
    const headers = new Headers({ 'retry-after-ms': 'soon', 'retry-after': '3' });
    expect(parseRetryAfter(headers, NOW)).toBe(NOW + 3_000);
  });

  test('answers undefined without a usable header', () => {
    expect(parseRetryAfter(new Headers(), NOW)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'whenever' }), NOW)).toBeUndefined();
  });
});

describe('parseRetryHint', () => {
  test.each([
    ['Please try again in 2s.', 2_000],
    ['Rate limit reached. try again in 5.2s', 5_200],
    ['Please try again in 1m30.5s.', 90_500],
    ['Please try again in 370ms.', 370],
    ['Please try again in 10m6.048s. Need more tokens?', 606_048],
    [
      'Rate limit of 50 per 86400s exceeded for UserByModelByDay. Please wait 5631 seconds before retrying.',
      5_631_000,
    ],
    ['Too many requests, retry after 20 seconds', 20_000],
    ['{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}', 26_000],
    ['"retryDelay": "26.830692698s"', 26_831],
    ['Please retry in 26.830692698s.', 26_831],
    ['Try again in 2 minutes and 5 seconds.', 125_000],
    ['Your quota resets in 3 hours', 10_800_000],
  ])('reads %j', (text, ms) => {
    expect(parseRetryHint(text, NOW)).toBe(NOW + ms);
  });

  test.each([
    'Please try again later.',
    'Limit 30, Used 30, Requested 1.',
    'Please retry. Limit 30, Used 30',
    'wait for 5 people',
    '',
  ])('finds no hint in %j', (text) => {
    expect(parseRetryHint(text, NOW)).toBeUndefined();
  });
});
