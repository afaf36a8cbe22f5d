import type { BucketState } from '../rate-limit/bucket.ts';
import type { StoreSnapshot } from '../rate-limit/rate-limit-store.ts';
import type { Candidate } from './candidate.ts';

/** What {@link orderExpiringFirst} needs to know of each candidate. */
export interface OrderInput {
  /** The chain's candidates in chain order. */
  candidates: readonly Candidate[];
  /** The ids of the buckets each candidate takes from (as the tracker demands them). */
  bucketIdsOf: (candidate: Candidate) => readonly string[];
  /** The candidates' buckets and blocks as they are now. */
  view: StoreSnapshot;
  now: number;
}

/** A window this long or longer is a pool to pace (a daily quota), not capacity about to expire. */
const poolWindowMs = 3_600_000;
/** How far ahead of its pace a pool may run before it is kept for last. */
const paceSlack = 0.05;
const dayMs = 86_400_000;

/**
 * Orders a chain's candidates for `strategy: expiring-first`. Tiers stay in order (lower
 * first); within a tier:
 * 1. entries whose limits are unknown, in chain order, so that they get learnt;
 * 2. entries with room, the capacity that expires soonest first: a fixed window by its reset,
 *    a sliding window by its length (what it does not use now is lost), a daily pool by its reset;
 * 3. daily pools that have spent more than their share of the day so far (paced to last until
 *    their reset), in chain order;
 * 4. entries that are blocked or have no room (they will be skipped), in chain order.
 */
export function orderExpiringFirst(input: OrderInput): Candidate[] {
  const { now } = input;
  const buckets = new Map(input.view.buckets.map((bucket) => [bucket.id, bucket]));
  const blocked = new Set(input.view.blocks.filter((block) => block.until > now).map((block) => block.scope));
  const scored = input.candidates.map((candidate, index) => {
    const own = input.bucketIdsOf(candidate).flatMap((id) => buckets.get(id) ?? []);
    return { candidate, index, tier: candidate.entry.tier, ...classify(candidate, own, blocked, now) };
  });
  scored.sort(
    (left, right) =>
      left.tier - right.tier ||
      left.rank - right.rank ||
      left.expiresAt - right.expiresAt ||
      left.index - right.index,
  );
  return scored.map((entry) => entry.candidate);
}

function classify(
  candidate: Candidate,
  own: BucketState[],
  blocked: Set<string>,
  now: number,
): { rank: number; expiresAt: number } {
  const { scopes } = candidate;
  if (blocked.has(scopes.key) || blocked.has(scopes.model) || blocked.has(scopes.entry)) {
    return { rank: 4, expiresAt: 0 };
  }
  const known = own.filter((bucket) => bucket.kind !== 'concurrency' && bucket.limit !== null);
  if (known.some((bucket) => bucket.remaining !== null && bucket.remaining < 1))
    return { rank: 4, expiresAt: 0 };
  if (known.length === 0) return { rank: 1, expiresAt: 0 };
  let expiresAt = Number.POSITIVE_INFINITY;
  let aheadOfPace = false;
  for (const bucket of known) {
    const ends =
      bucket.windowMs !== null ? now + bucket.windowMs : (bucket.resetAt ?? Number.POSITIVE_INFINITY);
    expiresAt = Math.min(expiresAt, ends);
    if (bucket.windowMs === null && bucket.resetAt !== null && bucket.resetAt - now >= poolWindowMs) {
      const spent = 1 - (bucket.remaining ?? bucket.limit!) / bucket.limit!;
      const elapsed = 1 - Math.min(1, (bucket.resetAt - now) / dayMs);
      if (spent > elapsed + paceSlack) aheadOfPace = true;
    }
  }
  const isPool = expiresAt - now >= poolWindowMs;
  return { rank: isPool && aheadOfPace ? 3 : 2, expiresAt };
}
