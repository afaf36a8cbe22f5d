import { ChainClosedError, QueueFullError } from '../errors.ts';

/** Input of {@link WaitQueue.wait}. */
export interface WaitInput {
  requestId: string;
  /** When capacity is expected back (epoch ms): the earliest reset seen. */
  until: number | undefined;
  /** When the request stops waiting (epoch ms). */
  deadline: number;
  /** The client's signal: a client that leaves is removed at once. */
  signal: AbortSignal;
  /** Rejoin at the head (a woken request that found nothing). Not counted against the size bound. */
  atHead: boolean;
}

/** A woken request; it reports back once whether it found capacity. */
export interface Turn {
  /**
   * `true`: the request reserved an entry, so the next waiter is woken at once.
   * `false`: it found nothing and will rejoin; draining pauses until the next reset.
   */
  done(foundCapacity: boolean): void;
}

/** Why a wait ended without a turn. */
export type WaitEnd = 'timeout' | 'cancelled' | 'closed';

interface Waiter {
  input: WaitInput;
  resolve(turn: Turn): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

/** Options of {@link WaitQueue}. */
export interface WaitQueueOptions {
  maxSize: () => number;
  now: () => number;
  /** How often to look again when no reset time is known (ms). @default 1000 */
  pollMs?: number | undefined;
}

/** Thrown by {@link WaitQueue.wait} when the deadline passes. */
export class QueueWaitExpired extends Error {
  override name = 'QueueWaitExpired';
}

/**
 * The queue for requests that found every entry rate-limited. Waiters are woken one
 * at a time, in order, when the earliest reset comes or capacity is released: each
 * woken request tries the chain and says whether it found capacity; only then is the
 * next one woken. So when two entries recover at once, exactly two waiters proceed.
 */
export class WaitQueue {
  readonly #options: WaitQueueOptions;
  readonly #waiters: Waiter[] = [];
  #turnOpen = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: WaitQueueOptions) {
    this.#options = options;
  }

  /** Requests waiting now. */
  get size(): number {
    return this.#waiters.length;
  }

  /** Waits for a turn. Rejects with QueueFullError, QueueWaitExpired, the abort reason, or ChainClosedError. */
  wait(input: WaitInput): Promise<Turn> {
    if (this.#closed) return Promise.reject(new ChainClosedError());
    if (!input.atHead && this.#waiters.length >= this.#options.maxSize()) {
      return Promise.reject(new QueueFullError(this.#options.maxSize()));
    }
    if (input.signal.aborted) return Promise.reject(input.signal.reason);
    return new Promise<Turn>((resolve, reject) => {
      const deadlineTimer = setTimeout(
        () => this.#remove(waiter, new QueueWaitExpired('queue wait expired')),
        Math.max(0, input.deadline - this.#options.now()),
      );
      const onAbort = () => this.#remove(waiter, input.signal.reason);
      const waiter: Waiter = {
        input,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(deadlineTimer);
          input.signal.removeEventListener('abort', onAbort);
        },
      };
      input.signal.addEventListener('abort', onAbort, { once: true });
      if (input.atHead) this.#waiters.unshift(waiter);
      else this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Capacity may have come back (a reservation released, a reset passed): wake the head. */
  notify(): void {
    if (this.#turnOpen || this.#waiters.length === 0) return;
    const waiter = this.#waiters.shift()!;
    waiter.cleanup();
    this.#turnOpen = true;
    let reported = false;
    waiter.resolve({
      done: (foundCapacity) => {
        if (reported) return;
        reported = true;
        this.#turnOpen = false;
        if (foundCapacity) this.notify();
        else this.#schedule();
      },
    });
    this.#schedule();
  }

  /** Rejects every waiter with ChainClosedError and stops the timers. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(new ChainClosedError());
    }
  }

  #remove(waiter: Waiter, reason: unknown): void {
    const index = this.#waiters.indexOf(waiter);
    if (index === -1) return;
    this.#waiters.splice(index, 1);
    waiter.cleanup();
    waiter.reject(reason);
    this.#schedule();
  }

  /** Arms one timer for the earliest expected reset (or a poll when none is known). */
  #schedule(): void {
    if (this.#closed || this.#waiters.length === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    const now = this.#options.now();
    const pollAt = now + (this.#options.pollMs ?? 1_000);
    let at = pollAt;
    for (const waiter of this.#waiters) {
      if (waiter.input.until !== undefined) at = Math.min(at, Math.max(now, waiter.input.until));
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.notify();
      this.#schedule();
    }, at - now);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
