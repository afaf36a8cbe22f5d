import { formatDuration } from '@429chain/core';
import type { BucketStatus, ChainStatus, EntryState } from '@429chain/server/admin-api';
import { useStatus } from '../api/admin-queries.ts';
import { useResetLimits } from '../api/use-reset-limits.ts';
import { CapacityMeter } from '../components/capacity-meter.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { Countdown } from '../components/countdown.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { formatWindow } from '../format/format.ts';
import { Link } from '../router.tsx';

const states: EntryState[] = ['available', 'tracking', 'exhausted', 'probing', 'parked', 'broken'];

/** The live board: every chain entry's state and why, and every bucket with its countdown to reset. */
export function RateLimitsPage() {
  const status = useStatus();
  const reset = useResetLimits();
  const data = status.data;
  return (
    <>
      <PageHeading
        title="Rate limits"
        actions={
          <ConfirmButton
            label="Reset all"
            confirmLabel="Forget all rate-limit state"
            busy={reset.isPending && reset.variables?.provider === undefined}
            onConfirm={() => reset.mutate({})}
          />
        }
      >
        Live: every entry's state and every known bucket, with the time left to each reset. A reset forgets
        what 429chain learnt (cooldowns, counts); the providers' own limits still apply.
      </PageHeading>
      <ErrorMessage error={status.error ?? reset.error} />
      {reset.isSuccess ? (
        <p className="notice notice-ok" role="status">
          Rate-limit state of {reset.data.reset === 'all' ? 'every provider' : reset.data.reset} forgotten.
        </p>
      ) : null}
      {data ? (
        <Board
          status={data}
          onReset={(provider) => reset.mutate({ provider })}
          resetting={reset.isPending ? reset.variables?.provider : undefined}
        />
      ) : status.isPending ? (
        <p className="muted">Loading…</p>
      ) : null}
    </>
  );
}

function Board({
  status,
  onReset,
  resetting,
}: {
  status: ChainStatus;
  onReset: (provider: string) => void;
  resetting: string | undefined;
}) {
  if (status.entries.length === 0) {
    return (
      <EmptyState title="No chain entries yet.">
        Add a provider on the <Link to="/providers">Providers</Link> page, then put it in a chain on the{' '}
        <Link to="/chains">Chains</Link> page. Its limits appear here as soon as requests flow.
      </EmptyState>
    );
  }
  const counts = states.map((state) => ({
    state,
    count: status.entries.filter((entry) => entry.state === state).length,
  }));
  const providers = [
    ...new Set([
      ...status.entries.map((entry) => entry.provider),
      ...status.buckets.map((bucket) => bucket.provider),
    ]),
  ];
  return (
    <>
      <ul className="state-summary" aria-label="Entries by state">
        {counts.map(({ state, count }) => (
          <li key={state} className={count === 0 ? 'dim' : undefined}>
            <StateBadge state={state} /> <strong>{count}</strong>
          </li>
        ))}
        <li>
          <span className="muted">queue</span> <strong>{status.queue.size}</strong>
        </li>
      </ul>

      <section className="panel" aria-labelledby="entries-heading">
        <h2 id="entries-heading">Entries</h2>
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Chain</th>
                <th scope="col">#</th>
                <th scope="col">Provider / model</th>
                <th scope="col">Key</th>
                <th scope="col">State</th>
                <th scope="col">Why</th>
                <th scope="col">Until</th>
              </tr>
            </thead>
            <tbody>
              {status.entries.map((entry) => (
                <tr
                  key={`${entry.chain}-${entry.entryIndex}-${entry.key}`}
                  className={`row-${entry.state}`}
                  data-provider={entry.provider}
                >
                  <td>{entry.chain}</td>
                  <td className="numeric">{entry.entryIndex + 1}</td>
                  <td>
                    <strong>{entry.provider}</strong> <span className="muted">/ {entry.model}</span>
                  </td>
                  <td className="muted small">{entry.key}</td>
                  <td>
                    <StateBadge state={entry.state} reason={entry.reason} />
                  </td>
                  <td className="reason">{entry.reason ?? <span className="muted">–</span>}</td>
                  <td>
                    {entry.until ? (
                      <Countdown until={entry.until} label="Available again" />
                    ) : (
                      <span className="muted">–</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="panel" aria-labelledby="buckets-heading">
        <h2 id="buckets-heading">Buckets by provider</h2>
        {providers.map((provider) => (
          <ProviderBuckets
            key={provider}
            provider={provider}
            buckets={status.buckets.filter((bucket) => bucket.provider === provider)}
            blocks={status.blocks.filter((block) => block.provider === provider)}
            onReset={() => onReset(provider)}
            resetting={resetting === provider}
          />
        ))}
      </section>
    </>
  );
}

function ProviderBuckets({
  provider,
  buckets,
  blocks,
  onReset,
  resetting,
}: {
  provider: string;
  buckets: BucketStatus[];
  blocks: ChainStatus['blocks'];
  onReset: () => void;
  resetting: boolean;
}) {
  return (
    <div className="provider-board" data-provider={provider}>
      <div className="provider-board-head">
        <h3>{provider}</h3>
        <button type="button" className="button button-small" onClick={onReset} disabled={resetting}>
          {resetting ? 'Resetting…' : `Reset ${provider}`}
        </button>
      </div>
      {blocks.length > 0 ? (
        <ul className="blocks">
          {blocks.map((block) =>
            block.until <= Date.now() ? (
              <li key={`${block.scope}-${block.state}`}>
                <span className="block-state block-probing">probing</span>{' '}
                <span className="muted small">{block.model ?? block.key ?? 'provider'}</span> {block.reason}{' '}
                <span className="muted">
                  {block.probeUntil ? 'one request is testing it' : 'the next request tests it'}
                </span>
              </li>
            ) : (
              <li key={`${block.scope}-${block.state}`}>
                <span className={`block-state block-${block.state}`}>{block.state}</span>{' '}
                <span className="muted small">{block.model ?? block.key ?? 'provider'}</span> {block.reason}{' '}
                <span className="muted">ends in</span> <Countdown until={block.until} label="Ends" />
              </li>
            ),
          )}
        </ul>
      ) : null}
      {buckets.length === 0 ? (
        <p className="muted small">
          No limits known yet: they are learnt from the provider's headers and 429s, or set by hand on the
          provider.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Scope</th>
                <th scope="col">Kind</th>
                <th scope="col">Window</th>
                <th scope="col">Source</th>
                <th scope="col">Remaining / limit</th>
                <th scope="col">In flight</th>
                <th scope="col">Resets in</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((bucket) => (
                <tr key={bucket.id}>
                  <td>
                    {bucket.model ?? <span className="muted">all models</span>}
                    <div className="muted small">{bucket.key}</div>
                  </td>
                  <td>{bucket.kind}</td>
                  <td>
                    {bucket.windowMs === null
                      ? formatWindow(bucket.window)
                      : `in any ${formatDuration(bucket.windowMs)}`}
                  </td>
                  <td className="muted">
                    {bucket.learnt ? (
                      <>
                        learnt ({bucket.learnt.evidence})
                        <div className="small learnt-note">{bucket.learnt.note}</div>
                      </>
                    ) : (
                      bucket.source
                    )}
                  </td>
                  <td>
                    <CapacityMeter remaining={bucket.remaining} limit={bucket.limit} />
                  </td>
                  <td className="numeric">{bucket.inFlight}</td>
                  <td>
                    {bucket.resetAt ? (
                      <Countdown until={bucket.resetAt} label="Resets" />
                    ) : (
                      <span className="muted">–</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
