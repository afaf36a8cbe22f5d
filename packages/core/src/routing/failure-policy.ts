import type { AttemptFailureKind } from '../events/request-record.ts';
import type { FailureKind } from '../providers/provider-preset.ts';

/** Every verdict a preset can give is a kind of attempt failure (checked by the compiler). */
type PresetKindsAreAttemptKinds = FailureKind extends AttemptFailureKind ? true : never;
const presetKindsAreAttemptKinds: PresetKindsAreAttemptKinds = true;
void presetKindsAreAttemptKinds;

/** What the engine does about one kind of failure (docs/rate-limits.md, "What each failure does"). */
export interface FailurePolicy {
  /** `fail-over` tries the next entry; `answer` returns the provider's error to the client as it is. */
  next: 'fail-over' | 'answer';
  /** Transient: retried once on the same entry before failing over (never for a probe). */
  retrySame: boolean;
  /** Counts toward a 429 (and the queue) when the whole chain is out: a limit, not a fault. */
  rateLimited: boolean;
  /** A reset within `retryWaitMs` may be waited out on the same entry. */
  waitable: boolean;
  /**
   * The state change:
   * - `cooldown`: the scope is blocked until the limit clears, and the limit is learnt;
   * - `exhausted`: a daily or monthly quota, blocked until its reset, and learnt;
   * - `park-key`: out of credit, the key is blocked for long;
   * - `invalid-key`: the key is blocked until the config changes;
   * - `broken`: the entry is blocked for long (the model is not there);
   * - `circuit`: a fault counted toward the entry's circuit;
   * - `silent`: a short cooldown, and counted toward the circuit;
   * - `stream`: a cooldown that grows with repeats;
   * - `none`: nothing, the entry is fine.
   */
  state:
    | 'cooldown'
    | 'exhausted'
    | 'park-key'
    | 'invalid-key'
    | 'broken'
    | 'circuit'
    | 'silent'
    | 'stream'
    | 'none';
  /**
   * Whether the rest of this request skips the entry: `entry` (it cannot serve this request),
   * `smaller-windows` (the entry and every entry whose context window is no larger).
   */
  exclude: false | 'entry' | 'smaller-windows';
}

/** The failure policy: one row per kind, read by the router, the upstream sender and the tracker. */
export const failurePolicy: Readonly<Record<AttemptFailureKind, FailurePolicy>> = {
  'rate-limit': {
    next: 'fail-over',
    retrySame: false,
    rateLimited: true,
    waitable: true,
    state: 'cooldown',
    exclude: false,
  },
  quota: {
    next: 'fail-over',
    retrySame: false,
    rateLimited: true,
    waitable: false,
    state: 'exhausted',
    exclude: false,
  },
  'no-credit': {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'park-key',
    exclude: false,
  },
  auth: {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'invalid-key',
    exclude: false,
  },
  'not-found': {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'broken',
    exclude: 'entry',
  },
  'too-large': {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'none',
    exclude: 'entry',
  },
  'context-length': {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'none',
    exclude: 'smaller-windows',
  },
  'invalid-request': {
    next: 'answer',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'none',
    exclude: false,
  },
  server: {
    next: 'fail-over',
    retrySame: true,
    rateLimited: false,
    waitable: false,
    state: 'circuit',
    exclude: false,
  },
  timeout: {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'silent',
    exclude: false,
  },
  'first-token-timeout': {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'silent',
    exclude: false,
  },
  stream: {
    next: 'fail-over',
    retrySame: false,
    rateLimited: false,
    waitable: false,
    state: 'stream',
    exclude: false,
  },
};
