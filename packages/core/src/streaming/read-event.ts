import type { EventSourceMessage } from 'eventsource-parser';
import { type ChunkInfo, type ChunkUsageReader, inspectChunk } from './chunk-info.ts';

/** One upstream SSE event, parsed once. */
export interface ParsedEvent {
  /** The raw `data:` text, forwarded as is when nothing needs rewriting. */
  data: string;
  /** The parsed JSON. */
  json: Record<string, unknown>;
  info: ChunkInfo;
}

/** What the next read from an upstream stream gave. */
export type StreamRead =
  | { type: 'event'; event: ParsedEvent }
  /** `data: [DONE]` */
  | { type: 'done' }
  /** The body ended. */
  | { type: 'end' }
  /** `event: error`, a `{error}` chunk, or `finish_reason: "error"`. */
  | { type: 'error'; error: unknown; data: string }
  /** A data line that is not JSON: dropped, never forwarded. */
  | { type: 'invalid'; data: string }
  | { type: 'timeout' }
  /** The body failed mid-way (connection reset). */
  | { type: 'broken'; cause: unknown };

/** Turns one SSE message into what the relay acts on. */
export function interpret(message: EventSourceMessage, readUsage?: ChunkUsageReader): StreamRead {
  const data = message.data;
  if (data.trim() === '[DONE]') return { type: 'done' };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    if (message.event === 'error') return { type: 'error', error: { message: data }, data };
    return { type: 'invalid', data };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return message.event === 'error' ? { type: 'error', error: json, data } : { type: 'invalid', data };
  }
  const record = json as Record<string, unknown>;
  const info = inspectChunk(record, readUsage);
  if (message.event === 'error') return { type: 'error', error: record.error ?? record, data };
  if (info.error !== undefined) return { type: 'error', error: info.error, data };
  return { type: 'event', event: { data, json: record, info } };
}
