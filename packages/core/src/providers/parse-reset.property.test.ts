import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseResetValue, parseRetryAfter, parseRetryHint } from './parse-reset.ts';

const now = 1_750_000_000_000;
const formats = ['duration', 'seconds', 'epoch', 'auto', 'window-end'] as const;
/** Texts that look like what providers send, and garbage around them. */
const headerish = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.stringMatching(/^[0-9.hmsuµn, -]{0,16}$/),
  fc.double().map(String),
  fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
);

/** A Go duration with its value in ms: `1h2m3.5s`, `370ms`. */
const goDuration = fc
  .record({
    hours: fc.nat(48),
    minutes: fc.nat(59),
    seconds: fc.nat(59),
    millis: fc.nat(999),
  })
  .map(({ hours, minutes, seconds, millis }) => ({
    text: `${hours}h${minutes}m${seconds}s${millis}ms`,
    ms: ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis,
  }));

describe('reset parsers (properties)', () => {
  it('never throw, and give a whole, non-negative, finite time or nothing', () => {
    fc.assert(
      fc.property(headerish, fc.constantFrom(...formats), (text, format) => {
        const duration = parseDuration(text);
        if (duration !== undefined) expect(Number.isInteger(duration) && duration >= 0).toBe(true);
        const reset = parseResetValue(text, format, now);
        if (reset !== undefined) expect(Number.isFinite(reset)).toBe(true);
        const hint = parseRetryHint(text, now);
        if (hint !== undefined) expect(hint).toBeGreaterThanOrEqual(now);
      }),
      { numRuns: 2_000 },
    );
  });

  it('read every Go duration as its milliseconds', () => {
    fc.assert(
      fc.property(goDuration, ({ text, ms }) => {
        expect(parseDuration(text)).toBe(ms);
        expect(parseResetValue(text, 'duration', now)).toBe(now + ms);
      }),
    );
  });

  it('read a whole number of seconds as seconds, and an epoch in seconds or milliseconds as that instant', () => {
    fc.assert(
      fc.property(
        fc.nat(86_400 * 366),
        fc.integer({ min: 1_000_000_001, max: 4_000_000_000 }),
        (seconds, epoch) => {
          expect(parseDuration(String(seconds))).toBe(seconds * 1000);
          expect(parseResetValue(String(epoch), 'epoch', now)).toBe(epoch * 1000);
          expect(parseResetValue(String(epoch * 1000), 'epoch', now)).toBe(epoch * 1000);
          expect(parseResetValue(String(epoch), 'auto', now)).toBe(epoch * 1000);
        },
      ),
    );
  });

  it('read Retry-After as seconds or an HTTP date, and retry-after-ms first', () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        fc.nat(100_000),
        fc.date({ min: new Date('2001-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }),
        (seconds, milliseconds, date) => {
          expect(parseRetryAfter(new Headers({ 'retry-after': String(seconds) }), now)).toBe(
            now + seconds * 1000,
          );
          expect(
            parseRetryAfter(
              new Headers({ 'retry-after': String(seconds), 'retry-after-ms': String(milliseconds) }),
              now,
            ),
          ).toBe(now + milliseconds);
          const whole = Math.floor(date.getTime() / 1000) * 1000;
          expect(parseRetryAfter(new Headers({ 'retry-after': new Date(whole).toUTCString() }), now)).toBe(
            whole,
          );
        },
      ),
    );
  });

  it('find "try again in N unit" anywhere in prose', () => {
    fc.assert(
      fc.property(
        fc.string().filter((text) => !/try again|retry|wait|reset/i.test(text)),
        fc.nat(10_000),
        fc.constantFrom(['s', 1_000], ['seconds', 1_000], ['ms', 1], ['minutes', 60_000]),
        (prefix, amount, [unit, factor]) => {
          expect(parseRetryHint(`${prefix}. Please try again in ${amount}${unit}.`, now)).toBe(
            now + amount * (factor as number),
          );
        },
      ),
    );
  });
});
