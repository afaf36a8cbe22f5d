/** Options of {@link formatDuration}. */
export interface FormatDurationOptions {
  /** What a duration of zero or less reads as (a countdown that ran out: `now`). @default '0s' */
  zero?: string | undefined;
}

/**
 * A duration for people, in whole seconds rounded up and at most two units:
 * `42s`, `3m 05s`, `5h 12m`, `2d 4h`. Used for countdowns (the CLI's `status`, the
 * dashboard) and for waits in trail reasons. A value that is not finite reads `-`.
 */
export function formatDuration(milliseconds: number, options: FormatDurationOptions = {}): string {
  if (!Number.isFinite(milliseconds)) return '-';
  if (milliseconds <= 0) return options.zero ?? '0s';
  const totalSeconds = Math.ceil(milliseconds / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m ${twoDigits(totalSeconds % 60)}s`;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours}h ${twoDigits(totalMinutes % 60)}m`;
  return `${Math.floor(totalHours / 24)}d ${totalHours % 24}h`;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}
