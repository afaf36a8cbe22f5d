import type { RequestOutcome } from '@429chain/server/admin-api';

/** How a request ended, with its HTTP status. */
export function OutcomeBadge({ outcome, status }: { outcome: RequestOutcome; status: number }) {
  return (
    <span className={`outcome outcome-${outcome}`}>
      {status > 0 ? `${status} ` : ''}
      {outcome}
    </span>
  );
}
