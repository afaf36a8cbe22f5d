/**
 * The difference between the server's clock and this browser's, learnt from each
 * rate-limit status (`at`), so countdowns to a server-given reset are right even
 * when the two clocks disagree.
 *
 * A status arrives some time after the server stamped it, so each sample reads the
 * server's clock as slightly behind. Taking the latest sample alone would move every
 * countdown back up by that delay whenever a slow status arrives; the largest offset of
 * the last minute is the least delayed sample, and still follows a server clock that
 * was set back within a minute.
 */
const windowMs = 60_000;
let samples: { offsetMs: number; observedAt: number }[] = [];
let offsetMs = 0;

/** Records the server's time as of now. */
export function observeServerTime(serverNow: number): void {
  if (!Number.isFinite(serverNow)) return;
  const observedAt = Date.now();
  samples = samples.filter((sample) => observedAt - sample.observedAt < windowMs);
  samples.push({ offsetMs: serverNow - observedAt, observedAt });
  offsetMs = Math.max(...samples.map((sample) => sample.offsetMs));
}

/** The server's current time (epoch ms), as well as this browser can tell. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}
