import type { ChainEventMap, ChainStatus, RequestPage, RequestRecord } from '@429chain/server/admin-api';
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import { queryKeys } from '../api/query-keys.ts';
import { matchesFilters, type RequestFilters, summaryOf } from '../api/request-filters.ts';
import { requestEnded, requestStarted } from './live-activity.ts';
import { observeServerTime } from './server-clock.ts';

/**
 * Applies one event of `/api/events` to the query caches: the rate-limit board is
 * replaced, ended requests are put at the top of every matching request log, and a
 * config change refetches providers and chains.
 */
export function applyLiveEvent(queryClient: QueryClient, event: string, data: unknown): void {
  switch (event) {
    case 'status': {
      const status = data as ChainStatus;
      observeServerTime(status.at);
      queryClient.setQueryData(queryKeys.status, status);
      return;
    }
    case 'request-start':
      requestStarted(data as ChainEventMap['request-start']);
      return;
    case 'request-end': {
      const record = data as RequestRecord;
      requestEnded(record.id);
      queryClient.setQueryData(queryKeys.request(record.id), record);
      prependToLogs(queryClient, record);
      return;
    }
    case 'queue-join': {
      const { size } = data as ChainEventMap['queue-join'];
      updateQueue(queryClient, () => size);
      return;
    }
    case 'queue-leave':
      updateQueue(queryClient, (size) => Math.max(0, size - 1));
      return;
    case 'config-change':
      for (const key of [queryKeys.providers, queryKeys.chains, queryKeys.settings, queryKeys.info]) {
        void queryClient.invalidateQueries({ queryKey: key });
      }
      return;
    default:
      return;
  }
}

function updateQueue(queryClient: QueryClient, next: (size: number) => number): void {
  queryClient.setQueryData<ChainStatus>(queryKeys.status, (status) =>
    status ? { ...status, queue: { size: next(status.queue.size) } } : status,
  );
}

function prependToLogs(queryClient: QueryClient, record: RequestRecord): void {
  const summary = summaryOf(record);
  for (const [key, data] of queryClient.getQueriesData<InfiniteData<RequestPage>>({
    queryKey: queryKeys.requestsAll,
  })) {
    const filters = key[1] as RequestFilters | undefined;
    const first = data?.pages[0];
    if (!data || !first || !filters || !matchesFilters(filters, summary)) continue;
    if (data.pages.some((page) => page.items.some((item) => item.id === summary.id))) continue;
    const items = [summary, ...first.items];
    queryClient.setQueryData<InfiniteData<RequestPage>>(key, {
      ...data,
      pages: [{ ...first, items }, ...data.pages.slice(1)],
    });
  }
}
