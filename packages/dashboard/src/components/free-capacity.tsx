import type { BucketStatus, ChainStatus } from '@429chain/server/admin-api';
import { formatCount, formatWindow } from '../format/format.ts';
import { Link } from '../router.tsx';
import { CapacityMeter } from './capacity-meter.tsx';
import { Countdown } from './countdown.tsx';
import { EmptyState } from './empty-state.tsx';
import { StateBadge, worstState } from './state-badge.tsx';

/**
 * What is left right now: for each provider, the requests and tokens left in each of
 * its buckets and when each resets (live countdowns).
 */
export function FreeCapacity({ status }: { status: ChainStatus }) {
  const providers = [...new Set(status.entries.map((entry) => entry.provider))];
  if (providers.length === 0) {
    return (
      <EmptyState title="No providers in any chain yet.">
        Add one on the <Link to="/providers">Providers</Link> page and put it in a chain.
      </EmptyState>
    );
  }
  return (
    <ul className="capacity-grid">
      {providers.map((provider) => {
        const entries = status.entries.filter((entry) => entry.provider === provider);
        const state = worstState(entries.map((entry) => entry.state));
        const limiting = entries.find((entry) => entry.state === state && entry.until);
        const buckets = status.buckets.filter(
          (bucket) =>
            bucket.provider === provider && (bucket.kind === 'requests' || bucket.kind === 'tokens'),
        );
        return (
          <li key={provider} className="capacity-card" data-provider={provider}>
            <div className="capacity-card-head">
              <h3>{provider}</h3>
              {state ? <StateBadge state={state} reason={limiting?.reason} /> : null}
            </div>
            {limiting?.until ? (
              <p className="small">
                Back in <Countdown until={limiting.until} label="Available again" />
              </p>
            ) : null}
            {buckets.length === 0 ? (
              <p className="muted small">No limits known yet; they are learnt from the first answers.</p>
            ) : (
              <ul className="capacity-buckets">
                {sortBuckets(buckets).map((bucket) => (
                  <li key={bucket.id}>
                    <span className="capacity-label">
                      {bucket.kind} {formatWindow(bucket.window)}
                      {bucket.model ? <span className="muted small"> · {bucket.model}</span> : null}
                    </span>
                    <CapacityMeter remaining={bucket.remaining} limit={bucket.limit} />
                    <span className="capacity-reset small">
                      {bucket.resetAt ? (
                        <>
                          resets in <Countdown until={bucket.resetAt} label="Resets" />
                        </>
                      ) : (
                        <span className="muted">
                          {bucket.inFlight ? `${formatCount(bucket.inFlight)} in flight` : ''}
                        </span>
                      )}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}

const windowOrder = ['second', 'minute', 'hour', 'day', 'month', 'none'];

function sortBuckets(buckets: BucketStatus[]): BucketStatus[] {
  return [...buckets].sort(
    (left, right) =>
      (left.kind === right.kind ? 0 : left.kind === 'requests' ? -1 : 1) ||
      windowOrder.indexOf(left.window) - windowOrder.indexOf(right.window),
  );
}
