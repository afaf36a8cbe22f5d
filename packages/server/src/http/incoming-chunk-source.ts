import type { IncomingMessage } from 'node:http';
import type { ChunkRead, ChunkSource } from '@429chain/core';

/**
 * An upstream answer's body as a {@link ChunkSource}: each read hands over everything that has
 * arrived since the last one, in one chunk (`readable.read()` on the paused stream), and waits
 * only when nothing has. A read rejects when the connection breaks before the body's end (with
 * `signal`'s reason when the exchange was aborted);
 * `cancel` destroys the response, so its socket closes.
 */
export function incomingChunkSource(incoming: IncomingMessage, signal?: AbortSignal): ChunkSource {
  let ended = false;
  let failure: unknown;
  // An aborted exchange fails with the abort's reason, as fetch does, not with the socket's error.
  const reason = (error: unknown) => (signal?.aborted ? signal.reason : error);
  let wake: (() => void) | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  incoming.on('readable', notify);
  incoming.on('end', () => {
    ended = true;
    notify();
  });
  incoming.on('error', (error) => {
    failure ??= reason(error);
    notify();
  });
  incoming.on('close', () => {
    if (!ended) failure ??= reason(new Error('the response was cut before its end'));
    notify();
  });

  const read = (): Promise<ChunkRead> => {
    const chunk = incoming.read() as Buffer | null;
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    if (ended) return Promise.resolve({ done: true, value: undefined });
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<void>((resolve) => {
      wake = resolve;
    }).then(read);
  };
  return {
    read,
    async cancel() {
      ended = true;
      incoming.destroy();
      notify();
    },
  };
}

/**
 * A web stream over `source` for whoever reads `response.body` rather than the source. It pulls
 * nothing until it is read (high-water mark 0), so the engine's reads through the source see
 * every byte.
 */
export function chunkSourceStream(source: ChunkSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = await source.read();
        if (read.done) controller.close();
        else controller.enqueue(read.value);
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
