import type { ChainEventMap } from '@429chain/server/admin-api';
import { createStore } from './create-store.ts';

/** Requests in flight right now, from `request-start` / `request-end` events. */
export type InFlightRequest = ChainEventMap['request-start'];

export const inFlightStore = createStore<ReadonlyMap<string, InFlightRequest>>(new Map());

export function requestStarted(request: InFlightRequest): void {
  const next = new Map(inFlightStore.get());
  next.set(request.id, request);
  inFlightStore.set(next);
}

export function requestEnded(id: string): void {
  if (!inFlightStore.get().has(id)) return;
  const next = new Map(inFlightStore.get());
  next.delete(id);
  inFlightStore.set(next);
}

/** Forgets every request (after a reconnect the server's view starts afresh). */
export function clearInFlight(): void {
  inFlightStore.set(new Map());
}
