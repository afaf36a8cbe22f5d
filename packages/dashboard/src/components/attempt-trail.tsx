import type { AttemptRecord } from '@429chain/server/admin-api';
import { formatCount, formatLatency } from '../format/format.ts';

const outcomeLabels: Record<AttemptRecord['outcome'], string> = {
  answered: 'answered',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

/**
 * The attempt trail of one request, in order: which entries were skipped (and why,
 * at no upstream cost), which failed, and which answered.
 */
export function AttemptTrail({ attempts }: { attempts: AttemptRecord[] }) {
  if (attempts.length === 0) return <p className="muted">No entry was tried.</p>;
  return (
    <ol className="trail" aria-label="Attempt trail">
      {attempts.map((attempt, index) => (
        <li
          // The trail never reorders; position is its identity.
          // biome-ignore lint/suspicious/noArrayIndexKey: attempts are a fixed, ordered record
          key={index}
          className={`trail-step trail-${attempt.outcome}`}
        >
          <span className="trail-marker" aria-hidden="true">
            {index + 1}
          </span>
          <div className="trail-body">
            <div className="trail-head">
              <span className={`outcome outcome-${attempt.outcome}`}>{outcomeLabels[attempt.outcome]}</span>
              <strong className="trail-target">
                {attempt.provider} / {attempt.model}
              </strong>
              <span className="muted small">
                entry {attempt.entryIndex + 1} · {attempt.key}
              </span>
              {attempt.continuation ? <span className="tag">continued the stream</span> : null}
            </div>
            {attempt.reason !== String(attempt.status ?? '') ? (
              <p className="trail-reason">{attempt.reason}</p>
            ) : null}
            <dl className="trail-facts">
              {attempt.status !== undefined ? (
                <>
                  <dt>status</dt>
                  <dd>{attempt.status}</dd>
                </>
              ) : null}
              {attempt.failure ? (
                <>
                  <dt>failure</dt>
                  <dd>{attempt.failure}</dd>
                </>
              ) : null}
              {attempt.outcome !== 'skipped' ? (
                <>
                  <dt>latency</dt>
                  <dd>{formatLatency(attempt.latencyMs)}</dd>
                </>
              ) : null}
              {attempt.ttftMs !== undefined ? (
                <>
                  <dt>TTFT</dt>
                  <dd>{formatLatency(attempt.ttftMs)}</dd>
                </>
              ) : null}
              {attempt.usage ? (
                <>
                  <dt>tokens</dt>
                  <dd>
                    {formatCount(attempt.usage.promptTokens)} in ·{' '}
                    {formatCount(attempt.usage.completionTokens)} out
                  </dd>
                </>
              ) : null}
              {attempt.retries ? (
                <>
                  <dt>retries</dt>
                  <dd>{attempt.retries}</dd>
                </>
              ) : null}
            </dl>
          </div>
        </li>
      ))}
    </ol>
  );
}
