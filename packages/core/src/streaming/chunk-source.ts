/**
 * The chunks of a streamed answer body. A `fetch` given to `createChain` may attach one to
 * the `Response` it returns (`withChunkSource`) so the engine reads the event stream without
 * a web stream in between: the server's node:http fetch hands over everything that has
 * arrived since the last read in one chunk, where `Readable.toWeb` delivers every network
 * chunk on its own (about 10–20% of the CPU of a proxied stream). A web stream reader has
 * this shape too, so the engine reads a plain `response.body` through the same interface.
 * The mark is a `Symbol.for` key, so it works across copies of this package.
 */
export interface ChunkSource {
  /** The next bytes (`done` at the end); rejects when the body breaks. */
  read(): Promise<ChunkRead>;
  /** Stops reading and lets the connection go. */
  cancel(reason?: unknown): Promise<void>;
}

/** One read of a {@link ChunkSource}, as a web stream reader gives it. */
export type ChunkRead = { done: false; value: Uint8Array } | { done: true; value?: Uint8Array | undefined };

const chunkSourceKey = Symbol.for('429chain.chunkSource');

/**
 * Marks `response` as read through `source`, and returns it. The engine then never reads
 * `response.body`; give the response a body that reads the same source (lazily), for
 * anyone else.
 */
export function withChunkSource<Type extends Response>(response: Type, source: ChunkSource): Type {
  (response as Type & { [chunkSourceKey]?: ChunkSource })[chunkSourceKey] = source;
  return response;
}

/** How the engine reads a streamed body: its attached {@link ChunkSource}, else its web stream. */
export function chunkSourceOf(response: Response & { body: ReadableStream<Uint8Array> }): ChunkSource {
  return (
    (response as Response & { [chunkSourceKey]?: ChunkSource })[chunkSourceKey] ?? response.body.getReader()
  );
}
