import { useSyncExternalStore } from 'react';
import { serverNow } from '../live/server-clock.ts';

/**
 * The server's current time, re-rendering every second: one shared timer for every
 * countdown on the page, aligned to the second so they tick together.
 */

const listeners = new Set<() => void>();
let now = serverNow();
let timer: ReturnType<typeof setTimeout> | undefined;

function tick(): void {
  now = serverNow();
  for (const listener of listeners) listener();
  timer = setTimeout(tick, 1_000 - (Date.now() % 1_000) + 5);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = serverNow();
    timer = setTimeout(tick, 1_000 - (Date.now() % 1_000) + 5);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
}

export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
