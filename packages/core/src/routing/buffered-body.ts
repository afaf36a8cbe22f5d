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
export function withBufferedBody<Type extends Response>(
  response: Type,
  bytes: Uint8Array,
  options: BufferedBodyOptions = {},
): Type {
  (response as Type & { [bufferedBodyKey]?: Uint8Array })[bufferedBodyKey] = bytes;
  if (options.cutAt !== undefined) markBodyCut(response, options.cutAt);
  return response;
}

/** Options of {@link withBufferedBody}. */
export interface BufferedBodyOptions {
  /** The answer was larger than this many bytes and `bytes` holds only its start: the engine reports it as cut there. */
  cutAt?: number | undefined;
}

const bodyCutKey = Symbol.for('429chain.bodyCut');

/** Records that `response`'s body was cut at `limit` bytes. */
export function markBodyCut(response: Response, limit: number): void {
  (response as Response & { [bodyCutKey]?: number })[bodyCutKey] = limit;
}

/** The limit `response`'s body was cut at, if it was. */
export function bodyCutAt(response: Response): number | undefined {
  return (response as Response & { [bodyCutKey]?: number })[bodyCutKey];
}

/** The bytes {@link withBufferedBody} attached, if any. */
export function bufferedBodyOf(response: Response): Uint8Array | undefined {
  return (response as Response & { [bufferedBodyKey]?: Uint8Array })[bufferedBodyKey];
}
