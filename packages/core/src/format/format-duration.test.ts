import { describe, expect, it } from 'vitest';
import { formatDuration } from './format-duration.ts';

describe('formatDuration', () => {
  it('writes whole seconds rounded up, in at most two units', () => {
    expect(
      [300, 1_000, 42_000, 59_001, 60_000, 185_000, 3_599_000, 3_600_000, 18_720_000, 86_399_000].map((ms) =>
        formatDuration(ms),
      ),
    ).toEqual(['1s', '1s', '42s', '1m 00s', '1m 00s', '3m 05s', '59m 59s', '1h 00m', '5h 12m', '23h 59m']);
    expect(formatDuration(86_400_000)).toBe('1d 0h');
    expect(formatDuration(187_200_000)).toBe('2d 4h');
  });

  it('reads zero or less as the zero option, and a value that is not finite as "-"', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5_000, { zero: 'now' })).toBe('now');
    expect(formatDuration(Number.NaN)).toBe('-');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('-');
  });
});
