import { unrefTimer } from '../timers/unref-timer.ts';
import { bodyCutAt, bufferedBodyOf, markBodyCut } from './buffered-body.ts';
import type { AttemptFailure } from './send-upstream.ts';

/** Options of {@link readBodyText}. */
export interface ReadBodyOptions {
  /** Stop reading after this many bytes. @default 1048576 */
  maxBytes?: number | undefined;
  /** Give up after this long (ms); `abort` is then called so the socket closes. */
  timeoutMs: number;
  /** Aborts the upstream request. */
  abort: () => void;
}

/** Reads a body as text within a time and size bound; resolves `undefined` when the bound is hit. */
export async function readBodyText(
  response: Response,
  options: ReadBodyOptions,
): Promise<string | undefined> {
  const maxBytes = options.maxBytes ?? 1_048_576;
  const buffered = bufferedBodyOf(response);
  if (buffered) {
    if (buffered.byteLength > maxBytes) markBodyCut(response, maxBytes);
    return new TextDecoder().decode(
      buffered.byteLength > maxBytes ? buffered.subarray(0, maxBytes) : buffered,
    );
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  let timedOut = false;
  const timer = unrefTimer(
    setTimeout(() => {
      timedOut = true;
      options.abort();
      reader.cancel().catch(() => {});
    }, options.timeoutMs),
  );
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
      if (bytes > maxBytes) {
        markBodyCut(response, maxBytes);
        await reader.cancel();
        break;
      }
    }
    return text + decoder.decode();
  } catch (error) {
    if (timedOut) return undefined;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The failure of an answer whose body was cut at its size limit (by {@link readBodyText}, or
 * by a `fetch` that buffered it: `withBufferedBody(…, { cutAt })`), named as such rather than
 * as invalid JSON or a failed connection.
 */
export function cutAnswer(response: Response): { failure: AttemptFailure } | undefined {
  const limit = bodyCutAt(response);
  if (limit === undefined) return undefined;
  return {
    failure: {
      kind: 'server',
      status: response.status,
      headers: response.headers,
      reason: `the answer is larger than ${describeBytes(limit)}, the most a non-streamed answer may be; it was cut there`,
    },
  };
}

function describeBytes(bytes: number): string {
  const mebibytes = bytes / 1_048_576;
  return Number.isInteger(mebibytes) ? `${mebibytes} MiB` : `${bytes} bytes`;
}
