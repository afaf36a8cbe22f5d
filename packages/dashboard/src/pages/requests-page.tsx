import type { RequestPage } from '@429chain/server/admin-api';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { adminJson, queryString } from '../api/admin-client.ts';
import { useChains, useProviders } from '../api/admin-queries.ts';
import { queryKeys } from '../api/query-keys.ts';
import { filterQuery, noFilters, type RequestFilters, timeRanges } from '../api/request-filters.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { FormField } from '../components/form-field.tsx';
import { OutcomeBadge } from '../components/outcome-badge.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { formatCount, formatDateTime, formatLatency, formatWhen } from '../format/format.ts';
import { Link } from '../router.tsx';

const pageSize = 50;
const statusOptions = [
  { value: '', label: 'Any status' },
  { value: '2xx', label: '2xx answered' },
  { value: '4xx', label: '4xx client errors' },
  { value: '429', label: '429 rate-limited' },
  { value: '5xx', label: '5xx server errors' },
];

/** The request log: filters, newest first, live rows at the top, and "Load more" for older pages. */
export function RequestsPage() {
  const [filters, setFilters] = useState<RequestFilters>(noFilters);
  const chains = useChains();
  const providers = useProviders();
  const openedAt = useRef(Date.now());
  const log = useInfiniteQuery({
    queryKey: queryKeys.requests(filters),
    queryFn: ({ pageParam, signal }) =>
      adminJson<RequestPage>(
        `/api/requests${queryString({ ...filterQuery(filters, Date.now()), limit: pageSize, cursor: pageParam })}`,
        { signal },
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    // New rows arrive through the live stream.
    staleTime: Number.POSITIVE_INFINITY,
  });
  const rows = log.data?.pages.flatMap((page) => page.items) ?? [];
  const set = (field: keyof RequestFilters) => (value: string) => setFilters({ ...filters, [field]: value });
  const filtered = JSON.stringify(filters) !== JSON.stringify(noFilters);

  return (
    <>
      <PageHeading title="Requests">
        Every request with the entry that answered it and its attempt trail. New requests appear at the top as
        they finish.
      </PageHeading>
      <form className="filters panel" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
        <FormField label="Chain">
          <select value={filters.chain} onChange={(event) => set('chain')(event.target.value)}>
            <option value="">All chains</option>
            {chains.data?.data.map((chain) => (
              <option key={chain.name} value={chain.name}>
                {chain.name}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Provider">
          <select value={filters.provider} onChange={(event) => set('provider')(event.target.value)}>
            <option value="">All providers</option>
            {providers.data?.map((provider) => (
              <option key={provider.id} value={provider.id}>
                {provider.id}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Status">
          <select value={filters.status} onChange={(event) => set('status')(event.target.value)}>
            {statusOptions.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Time">
          <select value={filters.range} onChange={(event) => set('range')(event.target.value)}>
            {timeRanges.map((range) => (
              <option key={range.value} value={range.value}>
                {range.label}
              </option>
            ))}
          </select>
        </FormField>
        {filtered ? (
          <button
            type="button"
            className="button button-quiet filters-clear"
            onClick={() => setFilters(noFilters)}
          >
            Clear filters
          </button>
        ) : null}
      </form>
      <ErrorMessage error={log.error} />
      {log.data && rows.length === 0 ? (
        filtered ? (
          <EmptyState
            title="No request matches these filters."
            action={
              <button type="button" className="button" onClick={() => setFilters(noFilters)}>
                Clear filters
              </button>
            }
          />
        ) : (
          <EmptyState title="No requests yet.">
            Send one from the <Link to="/playground">Playground</Link>, or point an OpenAI client at{' '}
            <code>{window.location.origin}/v1</code> with a chain's name as <code>model</code>. It appears
            here as soon as it finishes.
          </EmptyState>
        )
      ) : null}
      {rows.length > 0 ? (
        <div className="panel table-scroll">
          <table className="table requests-table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Chain</th>
                <th scope="col">Answered by</th>
                <th scope="col">Result</th>
                <th scope="col" className="numeric">
                  Attempts
                </th>
                <th scope="col" className="numeric">
                  Latency
                </th>
                <th scope="col" className="numeric">
                  TTFT
                </th>
                <th scope="col" className="numeric">
                  Tokens
                </th>
                <th scope="col">Client</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr
                  key={row.id}
                  className={row.startedAt > openedAt.current ? 'row-fresh' : undefined}
                  data-request={row.id}
                >
                  <td>
                    <Link
                      to={`/requests/${encodeURIComponent(row.id)}`}
                      aria-label={`Request at ${formatDateTime(row.startedAt)}: details`}
                    >
                      {formatWhen(row.startedAt)}
                    </Link>
                  </td>
                  <td>
                    <span className="truncate chain-name" title={row.chain}>
                      {row.chain}
                    </span>
                  </td>
                  <td>
                    {row.provider ? (
                      <>
                        <strong>{row.provider}</strong>{' '}
                        <span className="muted small truncate model-name" title={row.model}>
                          {row.model}
                        </span>
                      </>
                    ) : (
                      <span className="muted">–</span>
                    )}
                    {row.fallback ? <span className="tag tag-fallback">fallback</span> : null}
                  </td>
                  <td>
                    <OutcomeBadge outcome={row.outcome} status={row.status} />
                    {row.error ? (
                      <div className="muted small truncate" title={row.error.message}>
                        {row.error.code}
                      </div>
                    ) : null}
                  </td>
                  <td className="numeric">{row.attemptCount}</td>
                  <td className="numeric">{formatLatency(row.latencyMs)}</td>
                  <td className="numeric">
                    {row.stream ? formatLatency(row.ttftMs) : <span className="muted">–</span>}
                  </td>
                  <td className="numeric">
                    {row.usage ? formatCount(row.usage.totalTokens) : <span className="muted">–</span>}
                  </td>
                  <td className="muted small">{row.client ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {log.hasNextPage ? (
        <div className="load-more">
          <button
            type="button"
            className="button"
            onClick={() => void log.fetchNextPage()}
            disabled={log.isFetchingNextPage}
          >
            {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : rows.length > 0 ? (
        <p className="muted small load-more">That is the oldest request in the log.</p>
      ) : null}
    </>
  );
}
