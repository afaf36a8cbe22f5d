import { formatCount } from '../format/format.ts';

/** `remaining / limit` with a bar; the numbers carry the meaning, the bar is decoration. */
export function CapacityMeter({ remaining, limit }: { remaining: number | null; limit: number | null }) {
  if (remaining === null && limit === null) return <span className="muted">unknown</span>;
  const share = remaining !== null && limit ? Math.max(0, Math.min(1, remaining / limit)) : null;
  const level = share === null ? 'unknown' : share <= 0 ? 'empty' : share < 0.2 ? 'low' : 'ok';
  return (
    <span className="capacity">
      <span className="capacity-text">
        <strong>{formatCount(remaining)}</strong>
        <span className="muted"> / {limit === null ? '?' : formatCount(limit)}</span>
      </span>
      {share !== null ? (
        <span className={`capacity-bar capacity-${level}`} aria-hidden="true">
          <span style={{ width: `${share * 100}%` }} />
        </span>
      ) : null}
    </span>
  );
}
