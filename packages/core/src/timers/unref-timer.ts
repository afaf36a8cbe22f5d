/**
 * Lets the process exit while `timer` is pending (Node, Bun and Deno timers have `unref`;
 * a browser's numeric handle does not need it). Returns the timer.
 */
export function unrefTimer<Timer>(timer: Timer): Timer {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
