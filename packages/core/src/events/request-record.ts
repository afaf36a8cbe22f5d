/** Token counts of one answer. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What happened to one candidate (entry + key) during a request. */
export type AttemptOutcome = 'answered' | 'skipped' | 'failed' | 'cancelled';

/** One step of a request's trail. */
export interface AttemptRecord {
  /** Provider id. */
  provider: string;
  /** Model asked for. */
  model: string;
  /** Key label, e.g. `key 1 (…a1b2)`; never the key. */
  key: string;
  /** Position of the entry in its chain, from 0. */
  entryIndex: number;
  outcome: AttemptOutcome;
  /** Why it was skipped or failed, or `200` when answered. */
  reason: string;
  /** Upstream HTTP status, when a request was sent and headers came back. */
  status?: number | undefined;
  /** Failure kind (`rate-limit`, `server`, `timeout`, …) when it failed. */
  failure?: string | undefined;
  /** When the attempt started (epoch ms). */
  startedAt: number;
  /** Time until the attempt ended, or until the answer was committed for streams (ms). */
  latencyMs: number;
  /** Time to first content (ms), for answered streams. */
  ttftMs?: number | undefined;
  /** Retries made on this candidate (transient 5xx). */
  retries?: number | undefined;
  /** Token usage of the answer, when it answered. */
  usage?: TokenUsage | undefined;
  /** This attempt continued a stream another entry began. */
  continuation?: boolean | undefined;
}

/** How a request ended. */
export type RequestOutcome =
  /** A complete answer. */
  | 'answered'
  /** An error answer (no entry could serve, or the provider refused the request). */
  | 'failed'
  /** A stream broke after commit and no entry could continue it. */
  | 'interrupted'
  /** The client went away. */
  | 'cancelled';

/** The record of one request, with its whole attempt trail. */
export interface RequestRecord {
  /** Unique id, also sent as `x-429chain-request-id`. */
  id: string;
  /** Chain name (or `provider/model` for a direct request). */
  chain: string;
  /** `chat` or `embedding`. */
  kind: 'chat' | 'embedding';
  stream: boolean;
  startedAt: number;
  endedAt: number;
  outcome: RequestOutcome;
  /** HTTP status returned to the client. */
  status: number;
  /** Provider and model that answered, when one did. */
  provider?: string | undefined;
  model?: string | undefined;
  /** Total time (ms). */
  latencyMs: number;
  /** Time to first content sent to the client (ms), for streams. */
  ttftMs?: number | undefined;
  usage?: TokenUsage | undefined;
  /** Time spent waiting in the queue (ms). */
  queuedMs?: number | undefined;
  /** Error code and message when it did not answer. */
  error?: { code: string; message: string } | undefined;
  attempts: AttemptRecord[];
  /** Free-form labels the caller attached (e.g. the client key's name). */
  metadata?: Record<string, string> | undefined;
}
