/**
 * The difference between the server's clock and this browser's, learnt from each
 * rate-limit status (`at`), so countdowns to a server-given reset are right even
 * when the two clocks disagree.
 */
let offsetMs = 0;

/** Records the server's time as of now. */
export function observeServerTime(serverNow: number): void {
  if (Number.isFinite(serverNow)) offsetMs = serverNow - Date.now();
}

/** The server's current time (epoch ms), as well as this browser can tell. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}
