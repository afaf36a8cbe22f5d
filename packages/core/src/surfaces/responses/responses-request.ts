import { z } from 'zod';
import { InvalidRequestError } from '../../errors.ts';

/**
 * `POST /v1/responses` onto one chat-completions request. Only the fields translated are
 * validated; fields a chat upstream cannot take are dropped and named in `dropped`.
 */

/** The request fields validated before translation (everything else is read leniently). */
export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.looseObject({}))], {
    error: 'expected a string or an array of input items',
  }),
  instructions: z.string().nullable().optional(),
  tools: z
    .array(z.looseObject({ type: z.string() }))
    .nullable()
    .optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().nullable().optional(),
  top_p: z.number().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  store: z.boolean().nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z
    .looseObject({ format: z.looseObject({ type: z.string() }).optional() })
    .nullable()
    .optional(),
});

type Message = Record<string, unknown>;

/** A Responses request as one chat body, plus what had to be left out. */
export interface TranslatedResponsesRequest {
  /** The chat-completions body (without the earlier turns of `previous_response_id`). */
  chat: Record<string, unknown>;
  /** The messages of this turn's `input`, to append to a stored conversation. */
  inputMessages: Message[];
  /** The system message made from `instructions`, if any (never carried to the next turn). */
  system: Message | undefined;
  /** Tools and fields a chat upstream cannot take, e.g. `tools: web_search`. */
  dropped: string[];
}

/** Hosted tools only OpenAI runs; a chat upstream has nothing to call. */
const hostedTools = new Set([
  'web_search',
  'web_search_preview',
  'file_search',
  'computer_use_preview',
  'code_interpreter',
  'image_generation',
  'local_shell',
  'mcp',
]);

/** Translates a validated Responses body; throws an InvalidRequestError naming the field. */
export function translateResponsesRequest(body: Record<string, unknown>): TranslatedResponsesRequest {
  const dropped: string[] = [];
  for (const field of ['background', 'conversation', 'prompt'] as const) {
    if (body[field] !== undefined && body[field] !== null && body[field] !== false) {
      throw new InvalidRequestError(`'${field}' is not supported by 429chain's Responses API.`, {
        code: 'unsupported_parameter',
        param: field,
      });
    }
  }
  const system =
    typeof body.instructions === 'string' && body.instructions.length > 0
      ? { role: 'system', content: body.instructions }
      : undefined;
  const inputMessages = inputToMessages(body.input);
  const chat: Record<string, unknown> = { model: body.model, messages: [] };
  const tools = translateTools(body.tools, dropped);
  if (tools.length > 0) {
    chat.tools = tools;
    const choice = translateToolChoice(body.tool_choice);
    if (choice !== undefined) chat.tool_choice = choice;
    if (typeof body.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = body.parallel_tool_calls;
  }
  const format = (body.text as { format?: Record<string, unknown> } | null | undefined)?.format;
  if (format?.type === 'json_schema') {
    chat.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name ?? 'response',
        schema: format.schema,
        ...(format.strict !== undefined ? { strict: format.strict } : {}),
        ...(format.description !== undefined ? { description: format.description } : {}),
      },
    };
  } else if (format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  if (typeof body.max_output_tokens === 'number') chat.max_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, inputMessages, system, dropped };
}

function inputToMessages(input: unknown): Message[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: Message[] = [];
  (input as unknown[]).forEach((raw, index) => {
    const item = raw as Record<string, unknown>;
    const where = `input[${index}]`;
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role === 'developer' ? 'system' : item.role;
        if (role !== 'user' && role !== 'assistant' && role !== 'system') {
          throw new InvalidRequestError(
            `Invalid value for '${where}.role': expected user, assistant, system or developer.`,
            { code: 'invalid_value', param: `${where}.role` },
          );
        }
        messages.push({ role, content: translateContent(item.content, `${where}.content`, role) });
        return;
      }
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string') {
          throw new InvalidRequestError(`'${where}' needs a string 'call_id' and 'name'.`, {
            code: 'invalid_value',
            param: where,
          });
        }
        const call = {
          id: item.call_id,
          type: 'function',
          function: {
            name: item.name,
            arguments: typeof item.arguments === 'string' ? item.arguments : '{}',
          },
        };
        const last = messages.at(-1);
        if (last?.role === 'assistant') {
          last.tool_calls = [...((last.tool_calls as unknown[]) ?? []), call];
        } else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string') {
          throw new InvalidRequestError(`'${where}.call_id' must be a string.`, {
            code: 'invalid_value',
            param: `${where}.call_id`,
          });
        }
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: outputText(item.output) });
        return;
      }
      case 'reasoning':
        // Reasoning items carry no text a chat upstream could use (their content is encrypted).
        return;
      default:
        throw new InvalidRequestError(
          `Invalid value for '${where}.type': ${JSON.stringify(type)} is not supported (message, function_call, function_call_output).`,
          { code: 'invalid_value', param: `${where}.type` },
        );
    }
  });
  return messages;
}

function translateContent(content: unknown, where: string, role: unknown): unknown {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(`Invalid value for '${where}': expected a string or an array of parts.`, {
      code: 'invalid_value',
      param: where,
    });
  }
  const parts: Message[] = [];
  content.forEach((raw, index) => {
    const part = raw as Record<string, unknown>;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        parts.push({ type: 'text', text: String(part.text ?? '') });
        return;
      case 'refusal':
        parts.push({ type: 'text', text: String(part.refusal ?? '') });
        return;
      case 'input_image': {
        const url = typeof part.image_url === 'string' ? part.image_url : undefined;
        if (!url) {
          throw new InvalidRequestError(
            `'${where}[${index}]' needs an 'image_url' (file ids are not supported).`,
            {
              code: 'invalid_value',
              param: `${where}[${index}].image_url`,
            },
          );
        }
        parts.push({
          type: 'image_url',
          image_url: { url, ...(part.detail ? { detail: part.detail } : {}) },
        });
        return;
      }
      default:
        throw new InvalidRequestError(
          `Invalid value for '${where}[${index}].type': ${JSON.stringify(part.type)} is not supported (input_text, output_text, input_image).`,
          { code: 'invalid_value', param: `${where}[${index}].type` },
        );
    }
  });
  // Assistant and system turns as plain text: every chat upstream takes that.
  if (role !== 'user' && parts.every((part) => part.type === 'text')) {
    return parts.map((part) => part.text).join('');
  }
  return parts;
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output
      .map((part) =>
        typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : '',
      )
      .join('');
  }
  return JSON.stringify(output ?? '');
}

function translateTools(tools: unknown, dropped: string[]): Message[] {
  if (!Array.isArray(tools)) return [];
  const out: Message[] = [];
  const add = (tool: Record<string, unknown>) => {
    if (tool.type === 'function') {
      out.push({
        type: 'function',
        function: {
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          parameters: tool.parameters ?? { type: 'object', properties: {} },
          ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
        },
      });
    } else if (tool.type === 'namespace' && Array.isArray(tool.tools)) {
      // Nested tools (Codex): flattened, each under its own name.
      for (const nested of tool.tools) add(nested as Record<string, unknown>);
    } else {
      dropped.push(`tools: ${String(tool.type)}`);
    }
  };
  for (const tool of tools) add(tool as Record<string, unknown>);
  return out;
}

function translateToolChoice(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (typeof choice === 'object' && choice !== null) {
    const record = choice as Record<string, unknown>;
    if (record.type === 'function' && typeof record.name === 'string') {
      return { type: 'function', function: { name: record.name } };
    }
    if (typeof record.type === 'string' && hostedTools.has(record.type)) return 'auto';
  }
  return undefined;
}
