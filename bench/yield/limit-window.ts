/**
 * One limit as a simulated provider enforces it: how many units (requests or tokens) fit in
 * its window, by one of three rules real providers use.
 */

/**
 * How a window is counted.
 * - `fixed`: windows aligned to the clock (`alignedAt + k·W`), whatever the traffic; a full
 *   window clears at its end (Cerebras, Mistral's wall-clock minute, a daily quota's midnight).
 * - `rolling`: at most `limit` units in any span of W; each unit comes back W after it was taken
 *   (token buckets, Groq).
 * - `anchored`: a window opens at the first request after the last one closed and lasts W
 *   (a counter that expires W after its first hit).
 */
export type Enforcement = 'fixed' | 'rolling' | 'anchored';

/** Options of {@link LimitWindow}. */
export interface LimitWindowOptions {
  /** Units that fit in one window. */
  limit: number;
  /** Length of the window (ms). */
  windowMs: number;
  enforcement: Enforcement;
  /** Where `fixed` windows start (epoch ms; any `alignedAt + k·windowMs` is a boundary). @default 0 */
  alignedAt?: number | undefined;
}

export class LimitWindow {
  readonly limit: number;
  readonly #windowMs: number;
  readonly #enforcement: Enforcement;
  readonly #alignedAt: number;
  /** `fixed`: the index of the counted window; `anchored`: when the open window started. */
  #windowStart = Number.NEGATIVE_INFINITY;
  #used = 0;
  /** `rolling`: the units taken in the last W, oldest first. */
  readonly #taken: Array<{ at: number; amount: number }> = [];

  constructor(options: LimitWindowOptions) {
    this.limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#enforcement = options.enforcement;
    this.#alignedAt = options.alignedAt ?? 0;
  }

  /** Units counted against the limit at `now`. */
  used(now: number): number {
    this.#expire(now);
    return this.#enforcement === 'rolling'
      ? this.#taken.reduce((sum, unit) => sum + unit.amount, 0)
      : this.#used;
  }

  /** Units left at `now`. */
  remaining(now: number): number {
    return Math.max(0, this.limit - this.used(now));
  }

  fits(now: number, amount: number): boolean {
    return this.used(now) + amount <= this.limit;
  }

  take(now: number, amount: number): void {
    this.#expire(now);
    if (this.#enforcement === 'rolling') this.#taken.push({ at: now, amount });
    else {
      if (this.#enforcement === 'anchored' && this.#windowStart === Number.NEGATIVE_INFINITY) {
        this.#windowStart = now;
      }
      this.#used += amount;
    }
  }

  /**
   * When room comes back (epoch ms): the end of the window (`fixed`, `anchored`), or when the
   * oldest unit taken returns (`rolling`). `now` when nothing is counted.
   */
  resetAt(now: number): number {
    this.#expire(now);
    switch (this.#enforcement) {
      case 'fixed':
        return this.#fixedStart(now) + this.#windowMs;
      case 'anchored':
        return this.#windowStart === Number.NEGATIVE_INFINITY ? now : this.#windowStart + this.#windowMs;
      case 'rolling':
        return this.#taken.length === 0 ? now : this.#taken[0]!.at + this.#windowMs;
    }
  }

  #fixedStart(now: number): number {
    return this.#alignedAt + Math.floor((now - this.#alignedAt) / this.#windowMs) * this.#windowMs;
  }

  #expire(now: number): void {
    switch (this.#enforcement) {
      case 'fixed': {
        const start = this.#fixedStart(now);
        if (start !== this.#windowStart) {
          this.#windowStart = start;
          this.#used = 0;
        }
        return;
      }
      case 'anchored':
        if (now >= this.#windowStart + this.#windowMs) {
          this.#windowStart = Number.NEGATIVE_INFINITY;
          this.#used = 0;
        }
        return;
      case 'rolling':
        while (this.#taken.length > 0 && this.#taken[0]!.at + this.#windowMs <= now) this.#taken.shift();
        return;
    }
  }
}

/**
 * Admits one request against all of a provider's windows, all or nothing: takes `amounts[i]`
 * from window i when every window has room and answers -1, else takes nothing and answers the
 * index of the first window without room.
 */
export function admit(windows: LimitWindow[], now: number, amounts: number[]): number {
  const full = windows.findIndex((window, index) => !window.fits(now, amounts[index]!));
  if (full >= 0) return full;
  for (const [index, window] of windows.entries()) window.take(now, amounts[index]!);
  return -1;
}
