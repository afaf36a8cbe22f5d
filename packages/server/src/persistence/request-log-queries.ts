/**
 * Reads the request log: a filtered, newest-first list with cursor paging, and one
 * request with its whole attempt trail.
 */

import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import {
  type AttemptRecord,
  type RequestOutcome,
  type RequestRecord,
  requestOutcomeSchema,
} from '@429chain/core';
import { z } from 'zod';
import type { RequestPage, RequestSummary } from '../admin-api/admin-api.ts';
import { preparedStatement } from './open-database.ts';

/** The raw query `listRequests` accepts: numbers may come as strings, empty strings count as absent. */
export interface RequestLogQueryInput {
  chain?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  client?: string | undefined;
  outcome?: string | undefined;
  /** An HTTP status (`429`) or a class (`'4xx'`). */
  status?: number | string | undefined;
  /** Started at or after (epoch ms, or an ISO 8601 date). */
  from?: number | string | undefined;
  /** Started before (epoch ms, or an ISO 8601 date). */
  to?: number | string | undefined;
  /** Page size, 1 to 500. @default 50 */
  limit?: number | string | undefined;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** The most rows one page may ask for. */
export const maxPageSize = 500;

/** An empty query-string value means "not given". */
export function absentWhenEmpty(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

/** An optional field of a query string, where `''` counts as absent. */
export function optionalQueryValue<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess(absentWhenEmpty, schema.optional());
}

const filterText = z.string().trim().max(500);

/** Epoch milliseconds, given as a number, a string of digits or an ISO 8601 date. */
export const epochMsSchema = z.union([z.number(), z.string()]).transform((value, context) => {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const epochMs = text === undefined ? value : /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (typeof epochMs !== 'number' || !Number.isFinite(epochMs) || epochMs < 0) {
    context.addIssue({
      code: 'custom',
      message: `expected epoch milliseconds or an ISO 8601 date, not ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return Math.floor(epochMs);
});

const statusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

const statusFilterSchema = z.union([z.number(), z.string()]).transform((value, context) => {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : String(value);
  if ((statusClasses as readonly string[]).includes(text)) return text as (typeof statusClasses)[number];
  const status = Number(text);
  if (!/^\d{3}$/.test(text) || status < 100 || status > 599) {
    context.addIssue({
      code: 'custom',
      message: `expected an HTTP status such as 429, or a class: ${statusClasses.join(', ')}; not ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return status;
});

const outcomes = requestOutcomeSchema.options;

/** Position in the newest-first order: the last row of the previous page. */
export interface RequestCursor {
  startedAt: number;
  id: string;
}

const cursorSchema = z.string().transform((value, context): RequestCursor => {
  const cursor = decodeCursor(value.trim());
  if (cursor === undefined) {
    context.addIssue({ code: 'custom', message: 'not a cursor returned by a previous page (nextCursor)' });
    return z.NEVER;
  }
  return cursor;
});

/** The query of {@link listRequests}, for the HTTP layer to validate raw query strings with. */
export const requestLogQuerySchema = z
  .object({
    chain: optionalQueryValue(filterText).meta({ description: 'Chain name.' }),
    provider: optionalQueryValue(filterText).meta({ description: 'Provider that answered.' }),
    model: optionalQueryValue(filterText).meta({ description: 'Model that answered.' }),
    client: optionalQueryValue(filterText).meta({ description: 'Client key label.' }),
    outcome: optionalQueryValue(z.enum(outcomes, { error: `expected one of ${outcomes.join(', ')}` })).meta({
      description: `${outcomes.join(' | ')}.`,
    }),
    status: optionalQueryValue(statusFilterSchema).meta({
      description: 'An HTTP status (429) or a class (4xx).',
    }),
    from: optionalQueryValue(epochMsSchema).meta({
      description: 'Started at or after (epoch ms or ISO date).',
    }),
    to: optionalQueryValue(epochMsSchema).meta({ description: 'Started before (epoch ms or ISO date).' }),
    limit: z
      .preprocess(
        absentWhenEmpty,
        z.coerce
          .number({ error: 'expected a whole number' })
          .int('expected a whole number')
          .min(1, 'must be at least 1')
          .max(maxPageSize, `must be at most ${maxPageSize}`)
          .default(50),
      )
      .meta({ description: `Page size, 1–${maxPageSize}.` }),
    cursor: optionalQueryValue(cursorSchema).meta({ description: '`nextCursor` of the previous page.' }),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from < query.to, {
    message: 'must be before `to`',
    path: ['from'],
  });

/** A validated {@link RequestLogQueryInput}. */
export type RequestLogQuery = z.output<typeof requestLogQuerySchema>;

/**
 * Lists requests newest first, filtered, one page at a time. Throws a `z.ZodError`
 * (its issues name the field) when the query is invalid.
 */
export function listRequests(database: DatabaseSync, query: RequestLogQueryInput = {}): RequestPage {
  return readRequestPage(database, requestLogQuerySchema.parse(query));
}

/** {@link listRequests} for a query already validated with {@link requestLogQuerySchema}. */
export function readRequestPage(database: DatabaseSync, parsed: RequestLogQuery): RequestPage {
  const { sql, parameters } = requestListStatement(parsed);
  // One row more than asked tells whether another page follows.
  const rows = preparedStatement(database, sql).all(...parameters) as Row[];
  const items = rows.slice(0, parsed.limit).map(toSummary);
  const last = items.at(-1);
  const nextCursor =
    rows.length > parsed.limit && last !== undefined
      ? encodeCursor({ startedAt: last.startedAt, id: last.id })
      : null;
  return { items, nextCursor };
}

/** The SQL of one page of {@link listRequests} and its parameters (one row more than the page). */
export function requestListStatement(parsed: RequestLogQuery): { sql: string; parameters: SQLInputValue[] } {
  const conditions: string[] = [];
  const parameters: SQLInputValue[] = [];
  for (const column of ['chain', 'provider', 'model', 'client', 'outcome'] as const) {
    const value = parsed[column];
    if (value === undefined) continue;
    conditions.push(`${column} = ?`);
    parameters.push(value);
  }
  // The partial indexes hold only the rare rows; SQLite uses one when the query repeats its
  // condition (open-database.ts, migration 3).
  if (parsed.outcome !== undefined && parsed.outcome !== 'answered') conditions.push("outcome <> 'answered'");
  if (typeof parsed.status === 'number') {
    conditions.push('status = ?');
    parameters.push(parsed.status);
    if (parsed.status !== 200) conditions.push('status <> 200');
  } else if (parsed.status !== undefined) {
    const lowest = Number(parsed.status[0]) * 100;
    // `+status`: walking the time index (already in page order) beats sorting every row of a class.
    conditions.push('+status >= ? AND +status < ?');
    parameters.push(lowest, lowest + 100);
  }
  if (parsed.from !== undefined) {
    conditions.push('started_at >= ?');
    parameters.push(parsed.from);
  }
  if (parsed.to !== undefined) {
    conditions.push('started_at < ?');
    parameters.push(parsed.to);
  }
  if (parsed.cursor !== undefined) {
    conditions.push('(started_at, id) < (?, ?)');
    parameters.push(parsed.cursor.startedAt, parsed.cursor.id);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return {
    sql: `SELECT * FROM requests ${where} ORDER BY started_at DESC, id DESC LIMIT ?`,
    parameters: [...parameters, parsed.limit + 1],
  };
}

/** The full record of one request with its attempts in order, or `undefined` when it is not (or no longer) logged. */
export function getRequest(database: DatabaseSync, id: string): RequestRecord | undefined {
  const row = preparedStatement(database, 'SELECT * FROM requests WHERE id = ?').get(id) as Row | undefined;
  if (row === undefined) return undefined;
  const attemptRows = preparedStatement(
    database,
    'SELECT * FROM attempts WHERE request_id = ? ORDER BY position',
  ).all(id) as Row[];
  const summary = toSummary(row);
  return {
    id: summary.id,
    chain: summary.chain,
    kind: summary.kind,
    stream: summary.stream,
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    outcome: summary.outcome,
    status: summary.status,
    provider: summary.provider,
    model: summary.model,
    latencyMs: summary.latencyMs,
    ttftMs: summary.ttftMs,
    usage: summary.usage,
    queuedMs: summary.queuedMs,
    error: summary.error,
    attemptCount: summary.attemptCount,
    fallback: summary.fallback,
    attempts: attemptRows.map(toAttempt),
    metadata: summary.metadata,
  };
}

/** Encodes a position in the list as an opaque base64url token. */
export function encodeCursor(cursor: RequestCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAt, cursor.id])).toString('base64url');
}

/** Decodes a token of {@link encodeCursor}; `undefined` when it is not one. */
export function decodeCursor(token: string): RequestCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(token)) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [startedAt, id] = decoded as unknown[];
    if (!Number.isSafeInteger(startedAt) || typeof id !== 'string') return undefined;
    return { startedAt: startedAt as number, id };
  } catch {
    return undefined;
  }
}

type Row = Record<string, SQLOutput>;
type SQLOutput = string | number | bigint | null | Uint8Array;

function toSummary(row: Row): RequestSummary {
  const promptTokens = numberOrUndefined(row.prompt_tokens);
  const completionTokens = numberOrUndefined(row.completion_tokens);
  const totalTokens = numberOrUndefined(row.total_tokens);
  const errorCode = textOrUndefined(row.error_code);
  return {
    id: String(row.id),
    chain: String(row.chain),
    kind: String(row.kind) as RequestSummary['kind'],
    stream: Number(row.stream) === 1,
    startedAt: Number(row.started_at),
    endedAt: Number(row.ended_at),
    outcome: String(row.outcome) as RequestOutcome,
    status: numberOrUndefined(row.status) ?? 0,
    provider: textOrUndefined(row.provider),
    model: textOrUndefined(row.model),
    latencyMs: numberOrUndefined(row.latency_ms) ?? 0,
    ttftMs: numberOrUndefined(row.ttft_ms),
    queuedMs: numberOrUndefined(row.queued_ms),
    usage:
      promptTokens === undefined && completionTokens === undefined && totalTokens === undefined
        ? undefined
        : {
            promptTokens: promptTokens ?? 0,
            completionTokens: completionTokens ?? 0,
            totalTokens: totalTokens ?? (promptTokens ?? 0) + (completionTokens ?? 0),
          },
    error:
      errorCode === undefined
        ? undefined
        : { code: errorCode, message: textOrUndefined(row.error_message) ?? '' },
    attemptCount: Number(row.attempt_count),
    fallback: Number(row.fallback) === 1,
    client: textOrUndefined(row.client),
    metadata: parseMetadata(row.metadata),
  };
}

function toAttempt(row: Row): AttemptRecord {
  const promptTokens = numberOrUndefined(row.prompt_tokens);
  const completionTokens = numberOrUndefined(row.completion_tokens);
  return {
    provider: String(row.provider),
    model: String(row.model),
    key: String(row.key_label),
    entryIndex: Number(row.entry_index),
    outcome: String(row.outcome) as AttemptRecord['outcome'],
    reason: String(row.reason),
    status: numberOrUndefined(row.status),
    failure: textOrUndefined(row.failure) as AttemptRecord['failure'],
    startedAt: Number(row.started_at),
    latencyMs: numberOrUndefined(row.latency_ms) ?? 0,
    ttftMs: numberOrUndefined(row.ttft_ms),
    retries: numberOrUndefined(row.retries),
    usage:
      promptTokens === undefined && completionTokens === undefined
        ? undefined
        : {
            promptTokens: promptTokens ?? 0,
            completionTokens: completionTokens ?? 0,
            totalTokens: (promptTokens ?? 0) + (completionTokens ?? 0),
          },
    continuation: Number(row.continuation) === 1 ? true : undefined,
  };
}

function parseMetadata(value: SQLOutput | undefined): Record<string, string> | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

function numberOrUndefined(value: SQLOutput | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  return Number(value);
}

function textOrUndefined(value: SQLOutput | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}
