import type { AttemptRecord, RequestRecord } from './request-record.ts';

/** Every event a chain emits, by name (noun-verb). */
export interface ChainEventMap {
  /** A request was accepted and routing begins. */
  'request-start': {
    id: string;
    chain: string;
    kind: 'chat' | 'embedding';
    stream: boolean;
    at: number;
    metadata?: Record<string, string> | undefined;
  };
  /** A request is about to be sent to one candidate. */
  'attempt-start': {
    requestId: string;
    provider: string;
    model: string;
    key: string;
    entryIndex: number;
    at: number;
  };
  /** A candidate was skipped, failed, or answered. */
  'attempt-end': { requestId: string; attempt: AttemptRecord };
  /** A request ended; carries its whole record. */
  'request-end': { record: RequestRecord };
  /** Rate-limit state of a scope changed (headers read, a cooldown set or lifted). */
  'ratelimit-change': { scope: string; at: number };
  /** A request started waiting for capacity. */
  'queue-join': { requestId: string; chain: string; size: number; at: number };
  /** A request stopped waiting. */
  'queue-leave': {
    requestId: string;
    chain: string;
    reason: 'resumed' | 'timeout' | 'cancelled' | 'closed';
    waitedMs: number;
    at: number;
  };
}

/** A chain event's name. */
export type ChainEventName = keyof ChainEventMap;

/** A listener of one event. */
export type ChainEventListener<Name extends ChainEventName> = (payload: ChainEventMap[Name]) => void;

/** A small typed emitter. A throwing listener is reported, never allowed to break a request. */
export class ChainEvents {
  readonly #listeners = new Map<ChainEventName, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown, event: ChainEventName) => void;

  constructor(onListenerError: (error: unknown, event: ChainEventName) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<Name extends ChainEventName>(event: Name, listener: ChainEventListener<Name>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  /** Whether anyone listens; lets callers skip building payloads. */
  has(event: ChainEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<Name extends ChainEventName>(event: Name, payload: ChainEventMap[Name]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as ChainEventListener<Name>)(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
