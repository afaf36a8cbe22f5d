import type { MockReply, MockRequest } from '@429chain/core/testing';

/**
 * A chat-completions-only upstream that holds a conversation, for the client and agent tests: it
 * calls a tool it is offered (with a 40-character tool-call id, as some providers make
 * them), answers a tool result by quoting it, answers a JSON schema with JSON, and otherwise
 * echoes the user's last words. Streams when asked, with usage.
 */
export function conversationReply(
  request: MockRequest,
  options: {
    /** Tools to call first, by name, when offered (else the first tool offered). */
    preferTools?: string[] | undefined;
    toolArguments?: ((toolName: string) => Record<string, unknown>) | undefined;
  } = {},
): MockReply {
  const body = request.body ?? {};
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Array<Record<string, unknown>>;
  const last = messages.at(-1) ?? {};
  const tools = (Array.isArray(body.tools) ? body.tools : []) as Array<{ function?: { name?: string } }>;
  const format = (body.response_format as { type?: string } | undefined)?.type;
  let message: Record<string, unknown>;
  let finish = 'stop';
  if (last.role === 'tool') {
    message = { role: 'assistant', content: `The tool said: ${textOf(last.content)}` };
  } else if (tools.length > 0 && body.tool_choice !== 'none') {
    const names = tools.map((tool) => tool.function?.name ?? 'tool');
    const name = options.preferTools?.find((preferred) => names.includes(preferred)) ?? names[0]!;
    message = {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: `call_${'a1b2c3d4e5'.repeat(4).slice(0, 35)}`,
          type: 'function',
          function: { name, arguments: JSON.stringify(options.toolArguments?.(name) ?? { city: 'Paris' }) },
        },
      ],
    };
    finish = 'tool_calls';
  } else if (format === 'json_schema' || format === 'json_object') {
    message = { role: 'assistant', content: '{"answer":"forty-two"}' };
  } else {
    message = { role: 'assistant', content: `Echo: ${textOf(last.content)}` };
  }
  const model = request.model ?? 'mock-model';
  const usage = { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 };
  if (body.stream !== true) {
    return {
      type: 'json',
      body: {
        id: 'chatcmpl-conversation',
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      },
    };
  }
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra = {}) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-conversation',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    })}\n\n`;
  const pieces = [chunk({ role: 'assistant', content: '' }, null)];
  if (typeof message.content === 'string') {
    for (const word of message.content.split(/(?<= )/)) pieces.push(chunk({ content: word }, null));
  }
  const calls = (message.tool_calls ?? []) as Array<{
    id: string;
    function: { name: string; arguments: string };
  }>;
  calls.forEach((call, index) => {
    const half = Math.ceil(call.function.arguments.length / 2);
    pieces.push(
      chunk(
        {
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
          ],
        },
        null,
      ),
      chunk(
        { tool_calls: [{ index, function: { arguments: call.function.arguments.slice(0, half) } }] },
        null,
      ),
      chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments.slice(half) } }] }, null),
    );
  });
  pieces.push(chunk({}, finish));
  pieces.push(
    `data: ${JSON.stringify({ id: 'chatcmpl-conversation', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage })}\n\n`,
    'data: [DONE]\n\n',
  );
  return { type: 'stream', pieces };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => String((part as { text?: unknown })?.text ?? '')).join(' ');
  }
  return '';
}
