/**
 * Aborts `controller` when any of `signals` aborts, and returns the function that
 * unlinks it. Unlike `AbortSignal.any`, nothing stays attached to a long-lived signal
 * (the chain's shutdown signal) once the work is done: `AbortSignal.any` keeps every
 * composite signal that has listeners alive for as long as its sources live, which
 * grew the heap by about 1 kB per request.
 */
export function abortWith(controller: AbortController, signals: readonly AbortSignal[]): () => void {
  const already = signals.find((signal) => signal.aborted);
  if (already) {
    controller.abort(already.reason);
    return () => {};
  }
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
  };
}
