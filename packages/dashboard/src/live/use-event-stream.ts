import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { adminFetch } from '../api/admin-client.ts';
import { ApiError, errorMessage } from '../api/api-error.ts';
import { queryKeys } from '../api/query-keys.ts';
import { readSse } from '../api/read-sse.ts';
import { applyLiveEvent } from './apply-live-event.ts';
import { connectionStore } from './connection-state.ts';
import { clearInFlight } from './live-activity.ts';

const firstRetryMs = 1_000;
const longestRetryMs = 30_000;

/**
 * Keeps ONE connection to `/api/events` while signed in and feeds its events into
 * the query caches. When the stream ends or fails (a server restart), it reconnects
 * with exponential backoff and jitter, then refetches what may have changed meanwhile.
 */
export function useEventStream(adminKey: string | null): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!adminKey) return;
    const stop = new AbortController();
    const { signal } = stop;
    let failures = 0;
    let connectedBefore = false;

    const run = async () => {
      while (!signal.aborted) {
        connectionStore.set({ state: 'connecting' });
        let error: unknown = new Error('The live stream ended.');
        try {
          const response = await adminFetch('/api/events', { signal });
          if (!response.body) throw new Error('The live stream has no body.');
          await readSse(
            response.body,
            (event) => {
              if (event.event === 'hello') {
                failures = 0;
                connectionStore.set({ state: 'live', since: Date.now() });
                if (connectedBefore) refreshAfterGap();
                connectedBefore = true;
                return;
              }
              try {
                applyLiveEvent(queryClient, event.event ?? 'message', JSON.parse(event.data));
              } catch {
                // A malformed event is dropped; the next status repairs the picture.
              }
            },
            signal,
          );
        } catch (caught) {
          error = caught;
        }
        if (signal.aborted) return;
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return;
        failures++;
        const delay = Math.min(longestRetryMs, firstRetryMs * 2 ** (failures - 1));
        const jittered = Math.round(delay * (0.75 + Math.random() * 0.5));
        connectionStore.set({
          state: 'reconnecting',
          retryAt: Date.now() + jittered,
          attempt: failures,
          error: errorMessage(error),
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, jittered);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    };

    const refreshAfterGap = () => {
      clearInFlight();
      for (const key of [
        queryKeys.requestsAll,
        queryKeys.providers,
        queryKeys.chains,
        queryKeys.info,
        queryKeys.settings,
      ]) {
        void queryClient.invalidateQueries({ queryKey: key });
      }
      void queryClient.invalidateQueries({ queryKey: ['stats'] });
    };

    void run();
    return () => {
      stop.abort();
      clearInFlight();
      connectionStore.set({ state: 'closed' });
    };
  }, [adminKey, queryClient]);
}
