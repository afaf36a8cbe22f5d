import type { TokenUsage } from '../events/request-record.ts';
import { readUsage } from '../streaming/chunk-info.ts';

/** A tool call's piece in one chunk (or a whole tool call in an answer). */
export interface ToolCallPiece {
  index: number;
  id: string | undefined;
  name: string | undefined;
  arguments: string;
}

/** What choice 0 of a chat chunk (or of a whole completion) carries, read once for every surface. */
export interface ChatPiece {
  text: string;
  toolCalls: ToolCallPiece[];
  finishReason: string | undefined;
  usage: TokenUsage | undefined;
  model: string | undefined;
}

/** Reads choice 0's text, tool calls and finish reason, the usage and the model of a chunk or completion. */
export function readChatPiece(json: Record<string, unknown>): ChatPiece {
  const piece: ChatPiece = {
    text: '',
    toolCalls: [],
    finishReason: undefined,
    usage: readUsage(json.usage),
    model: typeof json.model === 'string' ? json.model : undefined,
  };
  const choices = Array.isArray(json.choices) ? json.choices : [];
  const choice = choices.find(
    (candidate) =>
      typeof candidate === 'object' &&
      candidate !== null &&
      ((candidate as { index?: unknown }).index ?? 0) === 0,
  ) as Record<string, unknown> | undefined;
  if (!choice) return piece;
  if (typeof choice.finish_reason === 'string' && choice.finish_reason)
    piece.finishReason = choice.finish_reason;
  const part = (choice.delta ?? choice.message) as Record<string, unknown> | undefined;
  if (!part || typeof part !== 'object') return piece;
  if (typeof part.content === 'string') piece.text = part.content;
  else if (Array.isArray(part.content)) {
    for (const item of part.content) {
      const text = (item as { text?: unknown } | null)?.text;
      if (typeof text === 'string') piece.text += text;
    }
  }
  if (Array.isArray(part.tool_calls)) {
    part.tool_calls.forEach((call, position) => {
      if (typeof call !== 'object' || call === null) return;
      const record = call as Record<string, unknown>;
      const fn = (record.function ?? {}) as Record<string, unknown>;
      const args = fn.arguments;
      piece.toolCalls.push({
        index: typeof record.index === 'number' ? record.index : position,
        id: typeof record.id === 'string' && record.id ? record.id : undefined,
        name: typeof fn.name === 'string' && fn.name ? fn.name : undefined,
        arguments: typeof args === 'string' ? args : args === undefined ? '' : JSON.stringify(args),
      });
    });
  }
  return piece;
}

/** Random lower-case hex, for the ids a surface makes up (`resp_…`, `msg_…`, `fc_…`). */
export function randomHex(bytes = 12): string {
  const values = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  let hex = '';
  for (const value of values) hex += value.toString(16).padStart(2, '0');
  return hex;
}
