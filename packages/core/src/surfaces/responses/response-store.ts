/** A response kept for `GET /v1/responses/{id}` and `previous_response_id`. */
export interface StoredResponse {
  id: string;
  /** When it was made (epoch ms). */
  createdAt: number;
  /** The response object as it was returned. */
  response: Record<string, unknown>;
  /** The conversation so far as chat messages (inputs and outputs of every turn; no instructions). */
  messages: Array<Record<string, unknown>>;
}

/**
 * Where responses are kept. The engine keeps them in memory (bounded) unless given another
 * store; the server keeps them in its SQLite database with a retention bound.
 */
export interface ResponseStore {
  get(id: string): Promise<StoredResponse | undefined> | StoredResponse | undefined;
  put(response: StoredResponse): Promise<void> | void;
  /** Resolves `true` when there was one to delete. */
  delete(id: string): Promise<boolean> | boolean;
}

/** Options of {@link createMemoryResponseStore}. */
export interface MemoryResponseStoreOptions {
  /** Most responses kept; the oldest go first. @default 1000 */
  maxResponses?: number | undefined;
}

/** Responses in memory, the oldest dropped beyond `maxResponses`. */
export function createMemoryResponseStore(options: MemoryResponseStoreOptions = {}): ResponseStore {
  const maxResponses = options.maxResponses ?? 1000;
  const responses = new Map<string, StoredResponse>();
  return {
    get: (id) => responses.get(id),
    put(response) {
      responses.delete(response.id);
      responses.set(response.id, response);
      while (responses.size > maxResponses) {
        const oldest = responses.keys().next().value as string;
        responses.delete(oldest);
      }
    },
    delete: (id) => responses.delete(id),
  };
}
