/**
 * The conformance suite every `RateLimitStore` must pass. It drives a store only through its
 * public interface, with explicit `now` values, never the real clock. Its cases live in
 * `store-conformance/`, one file per concern.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { AcquireInput, RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import { blockCases } from './store-conformance/block-cases.ts';
import { bucketCases } from './store-conformance/bucket-cases.ts';
import { learningCases } from './store-conformance/learning-cases.ts';
import { settleCases } from './store-conformance/settle-cases.ts';
import { slidingWindowCases } from './store-conformance/sliding-window-cases.ts';
import { stateCases } from './store-conformance/state-cases.ts';
import { minute, type SuiteContext, start } from './store-conformance/suite-context.ts';

/** Options of {@link describeRateLimitStore}. */
export interface RateLimitStoreSuiteOptions {
  /** Name of the `describe` block, e.g. `'sqlite store'`. */
  name: string;
  /** Creates a fresh, empty store; called before every case. */
  createStore: () => RateLimitStore | Promise<RateLimitStore>;
  /** Runs after every case, once the store is closed (remove temp files, flush a Redis db). */
  cleanup?: () => void | Promise<void>;
}

/** Defines one `describe(name)` that pins every documented semantic of `RateLimitStore`. */
export function describeRateLimitStore(options: RateLimitStoreSuiteOptions): void {
  describe(options.name, () => {
    let store: RateLimitStore | undefined;
    let closed = false;
    let leaseCounter = 0;

    beforeEach(async () => {
      store = await options.createStore();
      closed = false;
      leaseCounter = 0;
    });

    afterEach(async () => {
      if (!closed) await store?.close();
      await options.cleanup?.();
    });

    const suite: SuiteContext = {
      get store() {
        if (!store) throw new Error('the store is created before each case');
        return store;
      },
      acquire(input: Partial<AcquireInput>) {
        const now = input.now ?? start;
        leaseCounter += 1;
        return suite.store.acquire({
          now,
          leaseId: input.leaseId ?? `lease-${leaseCounter}`,
          leaseExpiresAt: input.leaseExpiresAt ?? now + 10 * minute,
          blockScopes: input.blockScopes ?? [],
          buckets: input.buckets ?? [],
          probeUntil: input.probeUntil ?? now + 30_000,
        });
      },
      async bucketAt(id, now = start) {
        const snapshot = await suite.store.snapshot({ now });
        return snapshot.buckets.find((bucket) => bucket.id === id);
      },
      markClosed() {
        closed = true;
      },
    };

    bucketCases(suite);
    slidingWindowCases(suite);
    blockCases(suite);
    settleCases(suite);
    learningCases(suite);
    stateCases(suite);
  });
}
