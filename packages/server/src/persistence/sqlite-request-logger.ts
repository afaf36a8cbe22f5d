/**
 * The request log on SQLite. `log()` only appends to a buffer; a timer writes the buffer
 * in batches (one transaction each) off the request path, and retention keeps the
 * tables bounded by age and by row count.
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import {
  type AttemptRecord,
  isErroredAttempt,
  isRateLimitedAttempt,
  type RequestLogger,
  type RequestRecord,
} from '@429chain/core';
import { inTransaction } from './open-database.ts';

/** How long request rows are kept. */
export interface RequestLogRetention {
  /** Requests that started longer ago than this are deleted (`Infinity` keeps them). @default 30 */
  maxAgeDays?: number | undefined;
  /** Only the newest this many requests are kept (`Infinity` keeps them all). @default 100000 */
  maxRows?: number | undefined;
}

/** Options of {@link createSqliteRequestLogger}. */
export interface SqliteRequestLoggerOptions {
  /** A database opened by `openDatabase` (migrated); the logger never closes it. */
  database: DatabaseSync;
  /** How long a record may wait in the buffer before it is written (ms). @default 100 */
  flushIntervalMs?: number | undefined;
  /**
   * Records per transaction; a buffer this full is written at once (on a later tick). Each
   * batch blocks the event loop while it is written (about 10 µs a record), so batches stay
   * small enough not to show in the p99 latency of requests. @default 64
   */
  maxBatch?: number | undefined;
  /** Records held while the database refuses writes; beyond it the oldest are dropped (and reported). @default 20000 */
  maxBuffered?: number | undefined;
  /** How long rows are kept. @default { maxAgeDays: 30, maxRows: 100000 } */
  retention?: RequestLogRetention | undefined;
  /** How often retention runs (ms); it also runs once at startup. @default 60000 */
  pruneIntervalMs?: number | undefined;
  /** Clock used by retention (epoch ms). @default Date.now */
  now?: (() => number) | undefined;
  /** Told about every failed background write or prune; the records stay buffered and are retried. */
  onError?: ((error: unknown) => void) | undefined;
}

/** A {@link RequestLogger} writing to SQLite; `flush`, `close` and `prune` are always there. */
export interface SqliteRequestLogger extends RequestLogger {
  /** Buffers the record; never touches the database and never throws. */
  log(record: RequestRecord): void;
  /** Writes everything buffered now; rejects (keeping the records) when the database refuses. */
  flush(): Promise<void>;
  /** Stops the timers and writes everything buffered; leaves the database open. */
  close(): Promise<void>;
  /** Applies retention now; resolves to the number of requests deleted. */
  prune(): Promise<number>;
  /** Records buffered and not yet written. */
  readonly pending: number;
}

const dayMs = 86_400_000;
/** Requests deleted per retention transaction, so a large prune never holds the event loop for long. */
const pruneChunk = 250;
/** Longest pause between retries of a failing write (ms). */
const maxRetryDelayMs = 30_000;

/** Creates the SQLite request logger; retention runs once right away, then every `pruneIntervalMs`. */
export function createSqliteRequestLogger(options: SqliteRequestLoggerOptions): SqliteRequestLogger {
  const database = options.database;
  const flushIntervalMs = timerDelay('flushIntervalMs', options.flushIntervalMs ?? 100);
  const maxBatch = wholeNumber('maxBatch', options.maxBatch ?? 64);
  const maxBuffered = Math.max(maxBatch, wholeNumber('maxBuffered', options.maxBuffered ?? 20_000));
  const maxAgeDays = positive('retention.maxAgeDays', options.retention?.maxAgeDays ?? 30);
  const maxRows = options.retention?.maxRows ?? 100_000;
  if (maxRows !== Number.POSITIVE_INFINITY) wholeNumber('retention.maxRows', maxRows);
  const pruneIntervalMs = timerDelay('pruneIntervalMs', options.pruneIntervalMs ?? 60_000);
  const now = options.now ?? Date.now;
  const statements = prepareStatements(database);

  const buffer: RequestRecord[] = [];
  let closed = false;
  let consecutiveFailures = 0;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushTimerDelay = 0;
  let pruning: Promise<number> | undefined;

  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // A failing error handler must not break the logger.
    }
  };

  /** Arms the flush timer for `delayMs`, unless one that fires sooner is armed. */
  const scheduleFlush = (delayMs: number): void => {
    if (flushTimer !== undefined) {
      if (flushTimerDelay <= delayMs) return;
      clearTimeout(flushTimer);
    }
    flushTimerDelay = delayMs;
    flushTimer = setTimeout(backgroundFlush, delayMs);
    flushTimer.unref();
  };

  const retryDelay = (): number =>
    Math.min(maxRetryDelayMs, flushIntervalMs * 2 ** Math.min(consecutiveFailures, 16));

  /** Writes the oldest `maxBatch` buffered records in one transaction; throws (keeping them) on failure. */
  const writeBatch = (): void => {
    const batch = buffer.slice(0, maxBatch);
    inTransaction(database, () => {
      for (const record of batch) writeRecord(statements, record, now);
    });
    buffer.splice(0, batch.length);
    consecutiveFailures = 0;
  };

  function backgroundFlush(): void {
    flushTimer = undefined;
    if (buffer.length === 0) return;
    try {
      writeBatch();
    } catch (error) {
      consecutiveFailures++;
      report(error);
      if (!closed) scheduleFlush(retryDelay());
      return;
    }
    // More than one batch was waiting: write the rest on the next turns of the event loop.
    if (buffer.length > 0) scheduleFlush(0);
  }

  const dropOverflow = (): void => {
    // Drop a slice at once, so a long outage costs neither a splice nor a report per request.
    if (buffer.length <= maxBuffered) return;
    const dropped = Math.max(buffer.length - maxBuffered, Math.ceil(maxBuffered / 100));
    buffer.splice(0, dropped);
    report(
      new Error(
        `The request log could not be written for a while and its buffer is full (${maxBuffered} records); ` +
          `dropped the ${dropped} oldest.`,
      ),
    );
  };

  const deleteOldest = (startedBefore: number, limit: number): number => {
    return inTransaction(database, () => {
      statements.deleteOldestAttempts.run(startedBefore, limit);
      return Number(statements.deleteOldestRequests.run(startedBefore, limit).changes);
    });
  };

  const runPrune = async (): Promise<number> => {
    let deleted = 0;
    if (maxAgeDays !== Number.POSITIVE_INFINITY) {
      const cutoff = now() - maxAgeDays * dayMs;
      while (!closed) {
        const count = deleteOldest(cutoff, pruneChunk);
        deleted += count;
        if (count < pruneChunk) break;
        await nextTurn();
      }
    }
    if (maxRows !== Number.POSITIVE_INFINITY) {
      while (!closed) {
        const row = statements.countRequests.get() as { count: number } | undefined;
        const excess = Number(row?.count ?? 0) - maxRows;
        if (excess <= 0) break;
        const count = deleteOldest(Number.MAX_SAFE_INTEGER, Math.min(excess, pruneChunk));
        deleted += count;
        if (count === 0) break;
        await nextTurn();
      }
    }
    return deleted;
  };

  const prune = (): Promise<number> => {
    pruning ??= runPrune().finally(() => {
      pruning = undefined;
    });
    return pruning;
  };

  const backgroundPrune = (): void => {
    prune().catch(report);
  };

  const pruneTimer = setInterval(backgroundPrune, pruneIntervalMs);
  pruneTimer.unref();
  backgroundPrune();

  const flush = async (): Promise<void> => {
    try {
      while (buffer.length > 0) writeBatch();
    } catch (error) {
      consecutiveFailures++;
      if (!closed) scheduleFlush(retryDelay());
      throw error;
    }
    if (flushTimer !== undefined) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
    }
  };

  return {
    log(record: RequestRecord): void {
      buffer.push(record);
      if (buffer.length > maxBuffered) dropOverflow();
      // While writes fail, the retry timer decides when to try again.
      if (consecutiveFailures > 0 && flushTimer !== undefined) return;
      // A full batch is written on a later tick, never inside `log()`.
      scheduleFlush(closed || buffer.length >= maxBatch ? 0 : flushIntervalMs);
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      clearInterval(pruneTimer);
      await flush();
    },
    prune,
    get pending(): number {
      return buffer.length;
    },
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(database: DatabaseSync) {
  return {
    insertRequest: database.prepare(
      `INSERT INTO requests (
         id, started_at, ended_at, chain, kind, stream, outcome, status, provider, model,
         latency_ms, ttft_ms, queued_ms, prompt_tokens, completion_tokens, total_tokens,
         error_code, error_message, attempt_count, fallback, skipped_count, rate_limited_count,
         error_count, client, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    ),
    deleteRequest: database.prepare('DELETE FROM requests WHERE id = ?'),
    deleteAttempts: database.prepare('DELETE FROM attempts WHERE request_id = ?'),
    insertAttempt: database.prepare(
      `INSERT INTO attempts (
         request_id, position, provider, model, key_label, entry_index, outcome, reason, status,
         failure, started_at, latency_ms, ttft_ms, retries, prompt_tokens, completion_tokens, continuation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteOldestAttempts: database.prepare(
      `DELETE FROM attempts WHERE request_id IN (
         SELECT id FROM requests WHERE started_at < ?1 ORDER BY started_at, id LIMIT ?2)`,
    ),
    deleteOldestRequests: database.prepare(
      `DELETE FROM requests WHERE id IN (
         SELECT id FROM requests WHERE started_at < ?1 ORDER BY started_at, id LIMIT ?2)`,
    ),
    countRequests: database.prepare('SELECT COUNT(*) AS count FROM requests'),
  } satisfies Record<string, StatementSync>;
}

/** Writes one record and its attempts; a record logged again under the same id replaces the first. */
function writeRecord(statements: Statements, record: RequestRecord, now: () => number): void {
  const id = String(record.id);
  const attempts = Array.isArray(record.attempts) ? record.attempts : [];
  const startedAt = integerOrNull(record.startedAt) ?? now();
  const values = requestValues(id, startedAt, record, attempts);
  if (Number(statements.insertRequest.run(...values).changes) === 0) {
    statements.deleteAttempts.run(id);
    statements.deleteRequest.run(id);
    statements.insertRequest.run(...values);
  }
  attempts.forEach((attempt, position) => {
    statements.insertAttempt.run(...attemptValues(id, position, attempt, startedAt));
  });
}

function requestValues(
  id: string,
  startedAt: number,
  record: RequestRecord,
  attempts: AttemptRecord[],
): SQLInputValue[] {
  const metadata = record.metadata;
  return [
    id,
    startedAt,
    integerOrNull(record.endedAt) ?? startedAt,
    String(record.chain ?? ''),
    String(record.kind ?? 'chat'),
    record.stream ? 1 : 0,
    String(record.outcome ?? 'failed'),
    integerOrNull(record.status),
    textOrNull(record.provider),
    textOrNull(record.model),
    numberOrNull(record.latencyMs),
    numberOrNull(record.ttftMs),
    numberOrNull(record.queuedMs),
    integerOrNull(record.usage?.promptTokens),
    integerOrNull(record.usage?.completionTokens),
    integerOrNull(record.usage?.totalTokens),
    textOrNull(record.error?.code),
    textOrNull(record.error?.message),
    // The record states its own facts; the counts of rate limits and errors use core's kinds.
    integerOrNull(record.attemptCount) ?? 0,
    record.fallback === true ? 1 : 0,
    attempts.filter((attempt) => attempt.outcome === 'skipped').length,
    attempts.filter(isRateLimitedAttempt).length,
    attempts.filter(isErroredAttempt).length,
    textOrNull(metadata?.client),
    metadataJson(metadata),
  ];
}

function attemptValues(
  requestId: string,
  position: number,
  attempt: AttemptRecord,
  requestStartedAt: number,
): SQLInputValue[] {
  return [
    requestId,
    position,
    String(attempt.provider ?? ''),
    String(attempt.model ?? ''),
    String(attempt.key ?? ''),
    integerOrNull(attempt.entryIndex) ?? -1,
    String(attempt.outcome ?? 'failed'),
    String(attempt.reason ?? ''),
    integerOrNull(attempt.status),
    textOrNull(attempt.failure),
    integerOrNull(attempt.startedAt) ?? requestStartedAt,
    numberOrNull(attempt.latencyMs),
    numberOrNull(attempt.ttftMs),
    integerOrNull(attempt.retries),
    integerOrNull(attempt.usage?.promptTokens),
    integerOrNull(attempt.usage?.completionTokens),
    attempt.continuation ? 1 : 0,
  ];
}

function metadataJson(metadata: Record<string, string> | undefined): string | null {
  if (metadata === undefined || metadata === null) return null;
  try {
    return JSON.stringify(metadata);
  } catch {
    return null;
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function integerOrNull(value: unknown): number | null {
  const number = numberOrNull(value);
  return number === null ? null : Math.round(number);
}

function textOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function timerDelay(name: string, value: number): number {
  // Node fires longer timers after 1 ms, so they are refused.
  if (!(Number.isFinite(value) && value > 0 && value <= 2_147_483_647)) {
    throw new RangeError(`${name} must be between 1 and 2147483647 ms, not ${value}`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && value > 0))
    throw new RangeError(`${name} must be above 0, not ${value}`);
  return value;
}

function wholeNumber(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`${name} must be a whole number of at least 1, not ${value}`);
  }
  return value;
}
