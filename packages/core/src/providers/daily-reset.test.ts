import { describe, expect, test } from 'vitest';
import { nextDailyReset, nextWindowEnd } from './daily-reset.ts';

describe('nextDailyReset', () => {
  test('utc resets at the next 00:00 UTC', () => {
    expect(nextDailyReset('utc', Date.UTC(2026, 2, 10, 15, 30))).toBe(Date.UTC(2026, 2, 11));
    expect(nextDailyReset('utc', Date.UTC(2026, 11, 31, 23, 59, 59))).toBe(Date.UTC(2027, 0, 1));
  });

  test('utc at exactly midnight waits for the next one', () => {
    expect(nextDailyReset('utc', Date.UTC(2026, 2, 11))).toBe(Date.UTC(2026, 2, 12));
  });

  test('pacific resets at midnight in Los Angeles: 08:00 UTC in winter, 07:00 UTC in summer', () => {
    expect(nextDailyReset('pacific', Date.UTC(2026, 0, 15, 12))).toBe(Date.UTC(2026, 0, 16, 8));
    expect(nextDailyReset('pacific', Date.UTC(2026, 6, 15, 12))).toBe(Date.UTC(2026, 6, 16, 7));
  });

  test('pacific uses the Los Angeles date, not the UTC date', () => {
    // 2026-01-16 03:00 UTC is still the evening of 2026-01-15 in Los Angeles.
    expect(nextDailyReset('pacific', Date.UTC(2026, 0, 16, 3))).toBe(Date.UTC(2026, 0, 16, 8));
  });

  test('pacific across the spring DST change (2026-03-08): a 23-hour day', () => {
    // Saturday noon PST → Sunday 00:00 PST.
    expect(nextDailyReset('pacific', Date.UTC(2026, 2, 7, 20))).toBe(Date.UTC(2026, 2, 8, 8));
    // Sunday 01:30 PST, before the clocks jump → Monday 00:00 PDT.
    expect(nextDailyReset('pacific', Date.UTC(2026, 2, 8, 9, 30))).toBe(Date.UTC(2026, 2, 9, 7));
    // Sunday noon PDT → Monday 00:00 PDT.
    expect(nextDailyReset('pacific', Date.UTC(2026, 2, 8, 19))).toBe(Date.UTC(2026, 2, 9, 7));
  });

  test('pacific across the autumn DST change (2026-11-01): a 25-hour day', () => {
    // Saturday evening PDT → Sunday 00:00 PDT.
    expect(nextDailyReset('pacific', Date.UTC(2026, 9, 31, 20))).toBe(Date.UTC(2026, 10, 1, 7));
    // Sunday 01:30 PDT, the first of two 01:30s → Monday 00:00 PST.
    expect(nextDailyReset('pacific', Date.UTC(2026, 10, 1, 8, 30))).toBe(Date.UTC(2026, 10, 2, 8));
    // Sunday 01:30 PST, the second one → Monday 00:00 PST.
    expect(nextDailyReset('pacific', Date.UTC(2026, 10, 1, 9, 30))).toBe(Date.UTC(2026, 10, 2, 8));
  });

  test('pacific at exactly midnight waits for the next one', () => {
    expect(nextDailyReset('pacific', Date.UTC(2026, 0, 16, 8))).toBe(Date.UTC(2026, 0, 17, 8));
  });
});

describe('nextWindowEnd', () => {
  const now = Date.UTC(2026, 2, 10, 15, 30, 12, 345);

  test('ends at the next wall-clock second, minute and hour', () => {
    expect(nextWindowEnd('second', now)).toBe(Date.UTC(2026, 2, 10, 15, 30, 13));
    expect(nextWindowEnd('minute', now)).toBe(Date.UTC(2026, 2, 10, 15, 31));
    expect(nextWindowEnd('hour', now)).toBe(Date.UTC(2026, 2, 10, 16));
  });

  test('ends a day at UTC midnight and a month at the start of the next UTC month', () => {
    expect(nextWindowEnd('day', now)).toBe(Date.UTC(2026, 2, 11));
    expect(nextWindowEnd('month', now)).toBe(Date.UTC(2026, 3, 1));
    expect(nextWindowEnd('month', Date.UTC(2026, 11, 31, 23))).toBe(Date.UTC(2027, 0, 1));
  });

  test('a boundary instant belongs to the new window', () => {
    expect(nextWindowEnd('minute', Date.UTC(2026, 2, 10, 15, 31))).toBe(Date.UTC(2026, 2, 10, 15, 32));
  });

  test('a window of none has nothing to wait for', () => {
    expect(nextWindowEnd('none', now)).toBe(now);
  });
});
