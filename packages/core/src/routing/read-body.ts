import { bufferedBodyOf } from './buffered-body.ts';

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
  const timer = setTimeout(() => {
    timedOut = true;
    options.abort();
    reader.cancel().catch(() => {});
  }, options.timeoutMs);
  (timer as { unref?: () => void }).unref?.();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
      if (bytes >= maxBytes) {
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
