import type { TokenUsage } from '../../events/request-record.ts';
import { randomHex } from '../chat-delta.ts';

/** One output item of a response (`message` or `function_call`). */
export type OutputItem = Record<string, unknown> & { type: string; id: string };

/** What a response object echoes of its request. */
export interface ResponseShell {
  id: string;
  createdAt: number;
  model: string;
  request: Record<string, unknown>;
}

/** A new response id. */
export function newResponseId(): string {
  return `resp_${randomHex(16)}`;
}

/** Usage in the Responses shape. */
export function responsesUsage(usage: TokenUsage | undefined): Record<string, unknown> | null {
  if (!usage) return null;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.totalTokens,
  };
}

/** `status` and `incomplete_details` from a chat finish reason. */
export function completionStatus(finishReason: string | undefined): {
  status: 'completed' | 'incomplete';
  incomplete_details: { reason: string } | null;
} {
  if (finishReason === 'length')
    return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter')
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The response object as the API returns it (and as `response.*` events carry it). */
export function responseObject(
  shell: ResponseShell,
  state: {
    status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
    output: OutputItem[];
    usage?: TokenUsage | undefined;
    incompleteDetails?: { reason: string } | null | undefined;
    error?: { code: string; message: string } | null | undefined;
  },
): Record<string, unknown> {
  const request = shell.request;
  const text = (request.text as Record<string, unknown> | null | undefined) ?? { format: { type: 'text' } };
  return {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incompleteDetails ?? null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: shell.model,
    output: state.output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store !== false,
    temperature: request.temperature ?? 1,
    text,
    tool_choice: request.tool_choice ?? 'auto',
    tools: Array.isArray(request.tools) ? request.tools : [],
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage: responsesUsage(state.usage),
    user: null,
    metadata: request.metadata ?? {},
  };
}

/** A finished assistant message item. */
export function messageItem(id: string, text: string, status = 'completed'): OutputItem {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

/** A finished function-call item. */
export function functionCallItem(
  id: string,
  call: { callId: string; name: string; arguments: string },
  status = 'completed',
): OutputItem {
  return {
    type: 'function_call',
    id,
    call_id: call.callId,
    name: call.name,
    arguments: call.arguments,
    status,
  };
}

/** The assistant turn a response adds to its conversation (for `previous_response_id`). */
export function outputToMessage(output: OutputItem[]): Record<string, unknown> {
  let text = '';
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const item of output) {
    if (item.type === 'message') {
      for (const part of item.content as Array<{ text?: string }>) text += part.text ?? '';
    } else if (item.type === 'function_call') {
      toolCalls.push({
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: item.arguments },
      });
    }
  }
  const message: Record<string, unknown> = { role: 'assistant', content: text || null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}
