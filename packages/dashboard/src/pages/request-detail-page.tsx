import type { RequestRecord } from '@429chain/server/admin-api';
import { useQuery } from '@tanstack/react-query';
import { adminJson } from '../api/admin-client.ts';
import { queryKeys } from '../api/query-keys.ts';
import { AttemptTrail } from '../components/attempt-trail.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { OutcomeBadge } from '../components/outcome-badge.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { formatCount, formatDateTime, formatLatency } from '../format/format.ts';
import { Link } from '../router.tsx';

/** One request: what answered, how long it took, and the whole attempt trail. */
export function RequestDetailPage({ id }: { id: string }) {
  const request = useQuery({
    queryKey: queryKeys.request(id),
    queryFn: ({ signal }) => adminJson<RequestRecord>(`/api/requests/${encodeURIComponent(id)}`, { signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const record = request.data;
  return (
    <>
      <p className="back">
        <Link to="/requests">← Request log</Link>
      </p>
      <PageHeading title="Request">
        <code className="small">{id}</code>
      </PageHeading>
      <ErrorMessage error={request.error} />
      {request.isPending ? <p className="muted">Loading…</p> : null}
      {record ? (
        <>
          <section className="panel" aria-label="Summary">
            <dl className="facts facts-grid">
              <div>
                <dt>Result</dt>
                <dd>
                  <OutcomeBadge outcome={record.outcome} status={record.status} />
                  {record.fallback ? <span className="tag tag-fallback">fallback</span> : null}
                </dd>
              </div>
              <div>
                <dt>Chain</dt>
                <dd>{record.chain}</dd>
              </div>
              <div>
                <dt>Answered by</dt>
                <dd>{record.provider ? `${record.provider} / ${record.model}` : '–'}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{formatDateTime(record.startedAt)}</dd>
              </div>
              <div>
                <dt>Total latency</dt>
                <dd>{formatLatency(record.latencyMs)}</dd>
              </div>
              <div>
                <dt>Time to first token</dt>
                <dd>{record.stream ? formatLatency(record.ttftMs) : 'not streamed'}</dd>
              </div>
              {record.queuedMs ? (
                <div>
                  <dt>Queued</dt>
                  <dd>{formatLatency(record.queuedMs)}</dd>
                </div>
              ) : null}
              <div>
                <dt>Tokens</dt>
                <dd>
                  {record.usage
                    ? `${formatCount(record.usage.promptTokens)} in · ${formatCount(record.usage.completionTokens)} out`
                    : '–'}
                </dd>
              </div>
              <div>
                <dt>Client</dt>
                <dd>{record.metadata?.client ?? '–'}</dd>
              </div>
            </dl>
            {record.error ? (
              <p className="notice notice-error">
                <strong>{record.error.code}</strong> {record.error.message}
              </p>
            ) : null}
          </section>
          <section className="panel" aria-labelledby="trail-heading">
            <h2 id="trail-heading">Attempt trail</h2>
            <AttemptTrail attempts={record.attempts} />
          </section>
        </>
      ) : null}
    </>
  );
}
