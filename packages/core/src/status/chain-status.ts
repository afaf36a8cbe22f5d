import type { ResolvedConfig } from '../config/resolve-config.ts';
import type { BlockRecord, BucketState } from '../rate-limit/bucket.ts';
import type { StoreSnapshot } from '../rate-limit/rate-limit-store.ts';
import { candidatesOf } from '../routing/candidate.ts';

/**
 * The state of one entry + key, as a dashboard shows it:
 * - `available`: nothing known limits it;
 * - `tracking`: its buckets are known and have room;
 * - `exhausted`: rate-limited until a reset, or resting briefly after a fault (a timeout, a broken stream);
 * - `probing`: a block has ended and one request tests whether it has cleared;
 * - `parked`: out of credit or an invalid key;
 * - `broken`: model not found, or its circuit is open.
 */
export type EntryState = 'available' | 'tracking' | 'exhausted' | 'probing' | 'parked' | 'broken';

/** A bucket with the names of what it limits. */
export interface BucketStatus extends BucketState {
  provider: string;
  /** Key label (`key 1 (…a1b2)`), never the key. */
  key: string;
  /** Model, for key + model buckets. */
  model?: string | undefined;
}

/** A block with the names of what it limits. */
export interface BlockStatus extends BlockRecord {
  provider: string;
  key?: string | undefined;
  model?: string | undefined;
}

/** One entry + key of one chain. */
export interface EntryStatus {
  chain: string;
  entryIndex: number;
  provider: string;
  model: string;
  key: string;
  state: EntryState;
  /** Why it is in that state. */
  reason?: string | undefined;
  /** When the state is expected to end (epoch ms). */
  until?: number | undefined;
  /** Ids of the buckets that limit it. */
  buckets: string[];
}

/** The live rate-limit picture returned by `chain.status()`. */
export interface ChainStatus {
  at: number;
  entries: EntryStatus[];
  buckets: BucketStatus[];
  blocks: BlockStatus[];
  queue: { size: number };
}

interface ScopeLabel {
  provider: string;
  key?: string | undefined;
  model?: string | undefined;
}

/** Joins the store's snapshot with the config's names. */
export function describeStatus(
  config: ResolvedConfig,
  snapshot: StoreSnapshot,
  input: { now: number; queueSize: number },
): ChainStatus {
  const labels = new Map<string, ScopeLabel>();
  for (const provider of config.providers.values()) {
    for (const key of provider.keys)
      labels.set(`${provider.id}~${key.fingerprint}`, { provider: provider.id, key: key.label });
  }
  const candidates = [...config.chains.values()].flatMap((chain) => candidatesOf(chain, () => 0));
  for (const candidate of candidates) {
    const provider = candidate.entry.provider.id;
    const model = candidate.entry.model;
    labels.set(candidate.scopes.model, { provider, key: candidate.key.label, model });
    labels.set(candidate.scopes.entry, { provider, model });
  }

  const buckets: BucketStatus[] = [];
  const bucketsByScope = new Map<string, BucketStatus[]>();
  for (const bucket of snapshot.buckets) {
    const label = labels.get(bucket.scope);
    if (!label) continue;
    // A history that has learnt nothing yet limits nothing: not shown.
    if (
      bucket.limit === null &&
      bucket.remaining === null &&
      (bucket.inFlight === 0 || bucket.source === 'learnt')
    ) {
      continue;
    }
    const status: BucketStatus = {
      ...bucket,
      provider: label.provider,
      key: label.key ?? '',
      model: label.model,
    };
    buckets.push(status);
    const list = bucketsByScope.get(bucket.scope) ?? [];
    list.push(status);
    bucketsByScope.set(bucket.scope, list);
  }
  const blocks: BlockStatus[] = [];
  const blocksByScope = new Map<string, BlockRecord>();
  for (const block of snapshot.blocks) {
    const label = labels.get(block.scope);
    if (!label) continue;
    blocks.push({ ...block, ...label });
    blocksByScope.set(block.scope, block);
  }

  const entries = candidates.map((candidate): EntryStatus => {
    const scopes = [candidate.scopes.key, candidate.scopes.model, candidate.scopes.entry];
    const own = scopes.flatMap((scope) => bucketsByScope.get(scope) ?? []);
    const base = {
      chain: candidate.chain,
      entryIndex: candidate.entryIndex,
      provider: candidate.entry.provider.id,
      model: candidate.entry.model,
      key: candidate.key.label,
      buckets: own.map((bucket) => bucket.id),
    };
    const block = scopes
      .map((scope) => blocksByScope.get(scope))
      .filter((found): found is BlockRecord => found !== undefined)
      .sort((left, right) => severity(right) - severity(left))[0];
    if (block) {
      if (block.until <= input.now) {
        return { ...base, state: 'probing', reason: block.reason, until: block.probeUntil ?? undefined };
      }
      return { ...base, state: stateOf(block), reason: block.reason, until: block.until };
    }
    const empty = own.find((bucket) =>
      bucket.kind === 'concurrency'
        ? bucket.limit !== null && bucket.inFlight >= bucket.limit
        : bucket.remaining !== null && bucket.remaining < 1,
    );
    if (empty) {
      const window =
        empty.windowMs !== null ? `in any ${Math.round(empty.windowMs / 100) / 10}s` : `per ${empty.window}`;
      const source = empty.learnt ? `learnt: ${empty.learnt.note}` : empty.source;
      return {
        ...base,
        state: 'exhausted',
        reason: `no ${empty.kind} left ${window} (${source})`,
        until: empty.resetAt ?? undefined,
      };
    }
    const tracked = own.some((bucket) => bucket.remaining !== null || bucket.kind === 'concurrency');
    return { ...base, state: tracked ? 'tracking' : 'available' };
  });

  return { at: input.now, entries, buckets, blocks, queue: { size: input.queueSize } };
}

function stateOf(block: BlockRecord): EntryState {
  if (block.state === 'parked') return 'parked';
  if (block.state === 'broken' || block.state === 'circuit-open') return 'broken';
  return 'exhausted';
}

function severity(block: BlockRecord): number {
  return { parked: 4, broken: 3, 'circuit-open': 2, faulted: 2, exhausted: 1, cooldown: 0 }[block.state];
}
