import type { RequestRecord, RequestSummary } from '@429chain/server/admin-api';

/** How far back the request log looks. */
export type TimeRange = '15m' | '1h' | '24h' | '7d' | 'all';

export const timeRanges: ReadonlyArray<{ value: TimeRange; label: string; ms: number | null }> = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: 'all', label: 'All time', ms: null },
];

/** The request log's filters. */
export interface RequestFilters {
  chain: string;
  provider: string;
  /** An HTTP status (`429`) or a class (`4xx`); empty for any. */
  status: string;
  range: TimeRange;
}

export const noFilters: RequestFilters = { chain: '', provider: '', status: '', range: 'all' };

/** The query of `GET /api/requests` for these filters. */
export function filterQuery(
  filters: RequestFilters,
  now: number,
): Record<string, string | number | undefined> {
  const range = timeRanges.find((option) => option.value === filters.range);
  return {
    chain: filters.chain || undefined,
    provider: filters.provider || undefined,
    status: filters.status || undefined,
    from: range?.ms ? now - range.ms : undefined,
  };
}

/** Whether a request that just ended belongs in a list with these filters (its time always does). */
export function matchesFilters(filters: RequestFilters, request: RequestSummary): boolean {
  if (filters.chain && request.chain !== filters.chain) return false;
  if (filters.provider && request.provider !== filters.provider) return false;
  if (filters.status) {
    const wanted = filters.status.toLowerCase();
    if (/^\dxx$/.test(wanted)) {
      if (Math.floor(request.status / 100) !== Number(wanted[0])) return false;
    } else if (String(request.status) !== wanted) return false;
  }
  return true;
}

/** The log row of a full record: the record without its trail, and its client's name. */
export function summaryOf(record: RequestRecord): RequestSummary {
  const { attempts: _trail, ...rest } = record;
  return { ...rest, client: record.metadata?.client };
}
