import type { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Runs one memory-reducing full collection. */
export type CollectGarbage = () => void;

/** Options of {@link compactMemoryWhenIdle}. */
export interface CompactMemoryWhenIdleOptions {
  /** The HTTP server; each `request` event counts as activity. */
  server: EventEmitter;
  /** Quiet time before a compaction, read at every check so config edits apply (ms); 0 turns it off. */
  idleMs: () => number;
  /** Called after each compaction with how long it blocked the event loop (ms). */
  onCompaction?: ((durationMs: number) => void) | undefined;
  /** The collection to run. @default a V8 "last resort" major GC, which also shrinks the young generation */
  collect?: CollectGarbage | undefined;
  /** Clock (ms). @default performance.now */
  now?: (() => number) | undefined;
}

/** A running compactor. */
export interface IdleCompactor {
  /** Compactions run so far. */
  readonly compactions: number;
  /** Stops checking. */
  close(): void;
}

/** How often the quiet time is checked, at most (ms). */
const checkCeilingMs = 1_000;

/**
 * Returns the heap a busy spell grew back to the operating system once the proxy goes quiet.
 *
 * V8 grows the young generation to 16 MB (two 8 MB semi-spaces) under allocation pressure (loading
 * modules at startup is enough) and keeps it for good: an idle Node server holds ~12 MB of empty
 * heap it will not use until the next burst. Node has no idle notification to shrink it, so
 * once `idleMs` pass without a request this runs one memory-reducing full collection (~30 ms
 * on the proxy's heap) — at most once per quiet spell, never while requests keep arriving. The
 * first runs right after startup, when the loading garbage is all there is.
 */
export function compactMemoryWhenIdle(options: CompactMemoryWhenIdleOptions): IdleCompactor {
  const now = options.now ?? (() => performance.now());
  const collect = options.collect ?? lastResortCollection();
  let requests = 0;
  let lastActivityAt = now();
  // Compact once on the first quiet check after startup: -1 never equals a request count.
  let requestsAtCompaction = -1;
  let compactions = 0;
  const onRequest = () => {
    requests += 1;
    lastActivityAt = now();
  };
  options.server.on('request', onRequest);

  const check = () => {
    const idleMs = options.idleMs();
    if (idleMs <= 0 || requests === requestsAtCompaction) return;
    if (requests > 0 && now() - lastActivityAt < idleMs) return;
    const startedAt = now();
    collect();
    compactions += 1;
    requestsAtCompaction = requests;
    options.onCompaction?.(now() - startedAt);
  };
  const startup = setImmediate(check);
  // A quarter of the quiet time (50 ms at least), or once a second while compaction is off.
  const initialIdleMs = options.idleMs();
  const checkEveryMs =
    initialIdleMs > 0 ? Math.min(checkCeilingMs, Math.max(50, initialIdleMs / 4)) : checkCeilingMs;
  const timer = setInterval(check, checkEveryMs);
  timer.unref();
  startup.unref();

  return {
    get compactions() {
      return compactions;
    },
    close() {
      clearImmediate(startup);
      clearInterval(timer);
      options.server.off('request', onRequest);
    },
  };
}

/**
 * V8's `gc()` with the "last resort" flavour: a full collection that also releases the young
 * generation's spare pages. Without `--expose-gc` on the command line, the function is taken
 * from a fresh context with the flag set for that moment only (as Jest does to detect leaks).
 */
function lastResortCollection(): CollectGarbage {
  type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
  let gc = (globalThis as { gc?: GcFunction }).gc;
  return () => {
    if (!gc) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as GcFunction;
      setFlagsFromString('--no-expose-gc');
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  };
}
