import type { TokenUsage } from '../events/request-record.ts';

/** What one parsed stream chunk says. */
export interface ChunkInfo {
  /** Carries content: text, reasoning, a refusal, tool calls, or a finish reason. */
  hasContent: boolean;
  /** Assistant text in this chunk (choice 0). */
  text: string;
  /** Tool-call deltas were present. */
  hasToolCalls: boolean;
  /** The finish reason, when a choice finished. */
  finishReason: string | undefined;
  /** An in-band error: `{error}` or `finish_reason: "error"`. */
  error: unknown;
  /** Usage, when this chunk carries it. */
  usage: TokenUsage | undefined;
  /** A usage-only chunk (`choices: []` with usage), forwarded only when the client asked. */
  usageOnly: boolean;
}

/** Reads usage a provider puts outside a chunk's `usage` (a preset's `readUsage`). */
export type ChunkUsageReader = (chunk: Record<string, unknown>) => TokenUsage | undefined;

/** Reads what matters from a chat completion chunk (or a whole completion). */
export function inspectChunk(chunk: unknown, readExtraUsage?: ChunkUsageReader): ChunkInfo {
  const info: ChunkInfo = {
    hasContent: false,
    text: '',
    hasToolCalls: false,
    finishReason: undefined,
    error: undefined,
    usage: undefined,
    usageOnly: false,
  };
  if (typeof chunk !== 'object' || chunk === null) return info;
  const record = chunk as Record<string, unknown>;
  if (record.error !== undefined && record.error !== null) {
    info.error = record.error;
    return info;
  }
  info.usage = readUsage(record.usage) ?? readExtraUsage?.(record);
  const choices = Array.isArray(record.choices) ? record.choices : [];
  if (choices.length === 0) {
    info.usageOnly = info.usage !== undefined;
    return info;
  }
  for (const [index, choice] of choices.entries()) {
    if (typeof choice !== 'object' || choice === null) continue;
    const { delta, message, finish_reason: finishReason } = choice as Record<string, unknown>;
    const part = (delta ?? message) as Record<string, unknown> | undefined;
    if (part && typeof part === 'object') {
      const content = part.content;
      if (typeof content === 'string' && content.length > 0) {
        info.hasContent = true;
        if (index === 0) info.text += content;
      }
      for (const field of ['reasoning', 'reasoning_content', 'refusal']) {
        const value = part[field];
        if (typeof value === 'string' && value.length > 0) info.hasContent = true;
      }
      if (Array.isArray(part.tool_calls) && part.tool_calls.length > 0) {
        info.hasContent = true;
        info.hasToolCalls = true;
      }
    }
    if (typeof finishReason === 'string' && finishReason.length > 0) {
      if (finishReason === 'error')
        info.error = { message: 'the provider ended the answer with finish_reason "error"' };
      else {
        info.hasContent = true;
        info.finishReason ??= finishReason;
      }
    }
  }
  return info;
}

/** Reads an OpenAI `usage` object. */
export function readUsage(value: unknown): TokenUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const usage = value as Record<string, unknown>;
  const prompt = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : undefined;
  const completion = typeof usage.completion_tokens === 'number' ? usage.completion_tokens : undefined;
  const total = typeof usage.total_tokens === 'number' ? usage.total_tokens : undefined;
  if (prompt === undefined && completion === undefined && total === undefined) return undefined;
  return {
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    totalTokens: total ?? (prompt ?? 0) + (completion ?? 0),
  };
}
