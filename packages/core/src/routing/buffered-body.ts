/**
 * A `fetch` given to `createChain` may already hold a non-streamed answer whole (the
 * server's node:http fetch reads it before resolving). Marking the `Response` with those
 * bytes lets the engine take them as they are instead of reading the body back through a
 * web stream, which costs about 20 µs of CPU per request. The mark is a `Symbol.for` key,
 * so it works across copies of this package.
 */
const bufferedBodyKey = Symbol.for('429chain.bufferedBody');

/**
 * Marks `response` as holding exactly `bytes` as its body, and returns it. The response's
 * own body is then never read by the engine; pass the same bytes to its constructor.
 */
export function withBufferedBody<Type extends Response>(response: Type, bytes: Uint8Array): Type {
  (response as Type & { [bufferedBodyKey]?: Uint8Array })[bufferedBodyKey] = bytes;
  return response;
}

/** The bytes {@link withBufferedBody} attached, if any. */
export function bufferedBodyOf(response: Response): Uint8Array | undefined {
  return (response as Response & { [bufferedBodyKey]?: Uint8Array })[bufferedBodyKey];
}
