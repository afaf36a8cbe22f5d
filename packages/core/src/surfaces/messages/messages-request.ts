import { z } from 'zod';
import { InvalidRequestError } from '../../errors.ts';

/**
 * `POST /v1/messages` (Anthropic) onto one chat-completions request. Fields a chat upstream
 * cannot take (`thinking`, `context_management`, cache controls, server tools) are dropped and
 * named in `dropped`.
 */

const blockSchema = z.looseObject({ type: z.string() });

/** The fields validated before translation. */
export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(
    z.looseObject({
      role: z.enum(['user', 'assistant']),
      content: z.union([z.string(), z.array(blockSchema)], {
        error: 'expected a string or an array of content blocks',
      }),
    }),
  ),
  system: z.union([z.string(), z.array(blockSchema)]).optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
  tool_choice: z.looseObject({ type: z.string() }).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stream: z.boolean().optional(),
});

/** `POST /v1/messages/count_tokens`: the same, without `max_tokens`. */
export const countTokensRequestSchema = messagesRequestSchema.omit({ max_tokens: true, stream: true });

type Message = Record<string, unknown>;

/** A Messages request as one chat body, plus what had to be left out. */
export interface TranslatedMessagesRequest {
  chat: Record<string, unknown>;
  dropped: string[];
}

/** Translates a validated Messages body; throws an InvalidRequestError naming the field. */
export function translateMessagesRequest(body: Record<string, unknown>): TranslatedMessagesRequest {
  const dropped: string[] = [];
  const messages: Message[] = [];
  const system = systemText(body.system);
  if (system) messages.push({ role: 'system', content: system });
  (body.messages as Array<Record<string, unknown>>).forEach((message, index) => {
    const where = `messages[${index}].content`;
    if (message.role === 'assistant') messages.push(assistantMessage(message.content, where));
    else messages.push(...userMessages(message.content, where));
  });
  const chat: Record<string, unknown> = { model: body.model, messages };
  if (typeof body.max_tokens === 'number') chat.max_tokens = body.max_tokens;
  const tools = translateTools(body.tools, dropped);
  if (tools.length > 0) {
    chat.tools = tools;
    const choice = body.tool_choice as Record<string, unknown> | undefined;
    if (choice?.type === 'any') chat.tool_choice = 'required';
    else if (choice?.type === 'none') chat.tool_choice = 'none';
    else if (choice?.type === 'tool' && typeof choice.name === 'string') {
      chat.tool_choice = { type: 'function', function: { name: choice.name } };
    } else if (choice?.type === 'auto') chat.tool_choice = 'auto';
    if (choice?.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  }
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) chat.stop = body.stop_sequences;
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  const format = (body.output_config as { format?: Record<string, unknown> } | undefined)?.format;
  if (format?.type === 'json_schema' && format.schema !== undefined) {
    chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }
  for (const field of ['thinking', 'context_management', 'top_k', 'service_tier', 'mcp_servers']) {
    if (body[field] !== undefined) dropped.push(field);
  }
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, dropped };
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) return '';
  return system
    .map((block) =>
      (block as { type?: unknown }).type === 'text' ? String((block as { text?: unknown }).text ?? '') : '',
    )
    .filter(Boolean)
    .join('\n\n');
}

function blocksOf(content: unknown): Array<Record<string, unknown>> {
  return typeof content === 'string'
    ? [{ type: 'text', text: content }]
    : (content as Array<Record<string, unknown>>);
}

function assistantMessage(content: unknown, where: string): Message {
  let text = '';
  const toolCalls: Message[] = [];
  blocksOf(content).forEach((block, index) => {
    switch (block.type) {
      case 'text':
        text += String(block.text ?? '');
        return;
      case 'tool_use':
        if (typeof block.id !== 'string' || typeof block.name !== 'string') {
          throw new InvalidRequestError(`'${where}[${index}]' needs a string 'id' and 'name'.`, {
            code: 'invalid_value',
            param: `${where}[${index}]`,
          });
        }
        toolCalls.push({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
        });
        return;
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw unsupportedBlock(block.type, `${where}[${index}]`);
    }
  });
  const message: Message = { role: 'assistant', content: text || null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/** A user turn: tool results become `tool` messages (first, as chat wants them), the rest one user message. */
function userMessages(content: unknown, where: string): Message[] {
  const tools: Message[] = [];
  const parts: Message[] = [];
  blocksOf(content).forEach((block, index) => {
    const at = `${where}[${index}]`;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: String(block.text ?? '') });
        return;
      case 'image':
        parts.push({ type: 'image_url', image_url: { url: imageUrl(block.source, at) } });
        return;
      case 'document': {
        const source = block.source as Record<string, unknown> | undefined;
        if (source?.type === 'text' && typeof source.data === 'string') {
          parts.push({ type: 'text', text: source.data });
          return;
        }
        throw unsupportedBlock('document (other than plain text)', at);
      }
      case 'tool_result': {
        if (typeof block.tool_use_id !== 'string') {
          throw new InvalidRequestError(`'${at}.tool_use_id' must be a string.`, {
            code: 'invalid_value',
            param: `${at}.tool_use_id`,
          });
        }
        const text = resultText(block.content);
        tools.push({
          role: 'tool',
          tool_call_id: block.tool_use_id,
          content: block.is_error === true ? `Error: ${text}` : text,
        });
        return;
      }
      default:
        throw unsupportedBlock(block.type, at);
    }
  });
  const out = [...tools];
  if (parts.length > 0) {
    out.push({
      role: 'user',
      content: parts.every((part) => part.type === 'text')
        ? parts.map((part) => part.text).join('\n\n')
        : parts,
    });
  }
  return out;
}

function imageUrl(source: unknown, where: string): string {
  const record = (source ?? {}) as Record<string, unknown>;
  if (record.type === 'base64' && typeof record.data === 'string' && typeof record.media_type === 'string') {
    return `data:${record.media_type};base64,${record.data}`;
  }
  if (record.type === 'url' && typeof record.url === 'string') return record.url;
  throw new InvalidRequestError(`'${where}.source' must be a base64 or url image source.`, {
    code: 'invalid_value',
    param: `${where}.source`,
  });
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) =>
      (block as { type?: unknown }).type === 'text' ? String((block as { text?: unknown }).text ?? '') : '',
    )
    .join('\n');
}

function translateTools(tools: unknown, dropped: string[]): Message[] {
  if (!Array.isArray(tools)) return [];
  const out: Message[] = [];
  for (const raw of tools) {
    const tool = raw as Record<string, unknown>;
    // Server tools (`web_search_20250305`, `bash_20250124`, …) run at Anthropic only.
    if (tool.type !== undefined && tool.type !== 'custom') {
      dropped.push(`tools: ${String(tool.type)}`);
      continue;
    }
    out.push({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.input_schema ?? { type: 'object', properties: {} },
      },
    });
  }
  return out;
}

function unsupportedBlock(type: unknown, where: string): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid value for '${where}.type': ${JSON.stringify(type)} content blocks are not supported (text, image, tool_use, tool_result).`,
    { code: 'invalid_value', param: `${where}.type` },
  );
}
