import type { BucketWindow } from '../rate-limit/bucket.ts';
import type { DailyResetClock } from './provider-preset.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Wall-clock parts in Los Angeles; created once, on first use (formatting is the hot path). Not at
 * import: a time-zone formatter loads ICU's zone data, ~8 MB of RSS that a proxy whose providers
 * all reset at UTC midnight would carry for nothing.
 */
let pacificFormat: Intl.DateTimeFormat | undefined;
const pacificParts = (): Intl.DateTimeFormat =>
  (pacificFormat ??= new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }));

/**
 * The last answer per clock: it holds for every moment from when it was asked until that reset,
 * which spares the hot path the time-zone arithmetic (three `formatToParts` for Los Angeles) on
 * every request.
 */
const lastReset: Record<DailyResetClock, { from: number; next: number } | undefined> = {
  utc: undefined,
  pacific: undefined,
};

/** When a provider's daily quota next resets (epoch ms): 00:00 UTC, or midnight in Los Angeles (DST-aware). */
export function nextDailyReset(clock: DailyResetClock, now: number): number {
  const known = lastReset[clock];
  if (known !== undefined && now >= known.from && now < known.next) return known.next;
  const next = clock === 'pacific' ? nextPacificMidnight(now) : nextUtcMidnight(now);
  lastReset[clock] = { from: now, next };
  return next;
}

/** The next wall-clock boundary of a window (epoch ms): second, minute, hour, UTC midnight, UTC month start. */
export function nextWindowEnd(window: BucketWindow, now: number): number {
  switch (window) {
    case 'second':
      return nextMultiple(now, SECOND);
    case 'minute':
      return nextMultiple(now, MINUTE);
    case 'hour':
      return nextMultiple(now, HOUR);
    case 'day':
      return nextUtcMidnight(now);
    case 'month': {
      const date = new Date(now);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
    case 'none':
    case 'rolling':
      // A concurrency bucket has no window, a rolling one no boundary: nothing to wait for.
      return now;
  }
}

function nextMultiple(now: number, step: number): number {
  return Math.floor(now / step) * step + step;
}

function nextUtcMidnight(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
}

function nextPacificMidnight(now: number): number {
  const today = wallClock(now);
  // Midnight tomorrow, written as if Los Angeles were UTC; then shifted by its offset then.
  const wallMidnight = Date.UTC(today.year, today.month - 1, today.day + 1);
  const guess = wallMidnight - offsetAt(wallMidnight);
  // The offset may differ at the guess when DST changed in between (midnight itself always exists).
  return wallMidnight - offsetAt(guess);
}

/** Los Angeles' offset from UTC at an instant (ms, negative: -8 h or -7 h). */
function offsetAt(instant: number): number {
  const wall = wallClock(instant);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant / SECOND) * SECOND;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: number): WallClock {
  const wall: WallClock = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of pacificParts().formatToParts(instant)) {
    if (part.type in wall) wall[part.type as keyof WallClock] = Number(part.value);
  }
  return wall;
}
