import { formatDuration } from '@429chain/core';
import { formatClock } from '../format/format.ts';
import { useNow } from '../hooks/use-now.ts';

/** Time left until a server-given moment, ticking every second. */
export function Countdown({ until, label }: { until: number; label?: string | undefined }) {
  const now = useNow();
  const left = until - now;
  return (
    <time
      className={`countdown${left <= 0 ? ' countdown-done' : ''}`}
      dateTime={new Date(until).toISOString()}
      title={`${label ? `${label} ` : ''}at ${formatClock(until)}`}
    >
      {formatDuration(left, { zero: 'now' })}
    </time>
  );
}
