import type { ResolvedConfig } from '../config/resolve-config.ts';
import type { ChainEvents } from '../events/chain-events.ts';
import type { Logger } from '../events/logger.ts';
import type { WaitQueue } from '../queue/wait-queue.ts';
import type { RateLimitTracker } from '../rate-limit/rate-limit-tracker.ts';
import type { ResponseStore } from '../surfaces/responses/response-store.ts';

/** What the routing functions share: one per chain instance. */
export interface EngineContext {
  /** The current config; replaced as a whole on update. */
  config(): ResolvedConfig;
  tracker: RateLimitTracker;
  events: ChainEvents;
  logger: Logger;
  queue: WaitQueue;
  /** The fetch used for upstream requests. */
  fetch: typeof globalThis.fetch;
  now: () => number;
  /** Aborted by `close()`: every upstream request listens to it. */
  shutdown: AbortSignal;
  /** Next key offset for an entry with several keys. */
  rotation(entry: string): number;
  /** Responses kept for `previous_response_id` and `GET /v1/responses/{id}`. */
  responses: ResponseStore;
  /** Requests running now, so `close()` can wait for them. */
  running: Set<Promise<unknown>>;
}
