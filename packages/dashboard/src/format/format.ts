/** Number and time formatting shared by every page. */

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat();
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** `1,234` below ten thousand, `12.3K` above. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return Math.abs(value) < 10_000 ? whole.format(Math.round(value)) : compact.format(value);
}

/** A latency: `850 ms`, `1.24 s`, `2 min`. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** How long ago: `just now`, `12s ago`, `5 min ago`, `3 h ago`, else a date. */
export function formatAgo(at: number, now: number): string {
  const seconds = Math.round((now - at) / 1_000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)} h ago`;
  return dateTime.format(at);
}

/** `14:03:22`. */
export function formatClock(at: number): string {
  return clock.format(at);
}

/** `14:03:22` for today, `Nov 26, 14:03:22` for other days. */
export function formatWhen(at: number, now = Date.now()): string {
  return new Date(at).toDateString() === new Date(now).toDateString()
    ? clock.format(at)
    : dateTime.format(at);
}

/** `Nov 26, 14:03:22`. */
export function formatDateTime(at: number): string {
  return dateTime.format(at);
}

/** `per minute`, `per day`, … for a bucket window. */
export function formatWindow(window: string): string {
  return window === 'none' ? 'at once' : `per ${window}`;
}
