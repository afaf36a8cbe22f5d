import type { TokenUsage } from '../../events/request-record.ts';
import { readChatPiece } from '../chat-delta.ts';

/** Anthropic's `stop_reason` for a chat finish reason. */
export function stopReason(finishReason: string | undefined): string {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Usage in Anthropic's shape. */
export function anthropicUsage(usage: TokenUsage | undefined, fallbackInput = 0): Record<string, number> {
  return {
    input_tokens: usage?.promptTokens ?? fallbackInput,
    output_tokens: usage?.completionTokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

/** A tool call's JSON arguments as the `input` object of a `tool_use` block. */
export function toolInput(text: string): unknown {
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { value };
  } catch {
    return { arguments: text };
  }
}

/** A chat completion as an Anthropic `message`. */
export function translateChatAnswer(
  id: string,
  model: string,
  completion: Record<string, unknown>,
): Record<string, unknown> {
  const piece = readChatPiece(completion);
  const content: Array<Record<string, unknown>> = [];
  if (piece.text) content.push({ type: 'text', text: piece.text });
  piece.toolCalls.forEach((call, position) => {
    content.push({
      type: 'tool_use',
      id: call.id ?? `toolu_${id.slice(4)}_${position}`,
      name: call.name ?? '',
      input: toolInput(call.arguments),
    });
  });
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: piece.model ?? model,
    content,
    stop_reason: piece.toolCalls.length > 0 ? 'tool_use' : stopReason(piece.finishReason),
    stop_sequence: null,
    usage: anthropicUsage(piece.usage),
  };
}
