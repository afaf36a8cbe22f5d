import { z } from 'zod';
import { InvalidRequestError } from '../../errors.ts';

/** `POST /v1/completions` (legacy): the fields validated before translation. */
export const completionsRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).length(1)], {
    error: 'expected a string (or an array of exactly one string)',
  }),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().nullable().optional(),
  top_p: z.number().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  stream: z.boolean().nullable().optional(),
  n: z.literal(1).nullable().optional(),
  echo: z.boolean().nullable().optional(),
});

/** Fields copied to the chat request as they are. */
const copied = [
  'max_tokens',
  'temperature',
  'top_p',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'user',
];

/** The legacy completions request as one chat request: the prompt is the user's message. */
export function translateCompletionsRequest(body: Record<string, unknown>): {
  chat: Record<string, unknown>;
  prompt: string;
  clientWantsUsage: boolean;
} {
  if (body.suffix !== undefined && body.suffix !== null) {
    throw new InvalidRequestError("'suffix' is not supported: a chat upstream cannot fill in the middle.", {
      code: 'unsupported_parameter',
      param: 'suffix',
    });
  }
  const prompt = Array.isArray(body.prompt) ? String(body.prompt[0]) : String(body.prompt);
  const chat: Record<string, unknown> = { model: body.model, messages: [{ role: 'user', content: prompt }] };
  for (const field of copied)
    if (body[field] !== undefined && body[field] !== null) chat[field] = body[field];
  const options = body.stream_options as { include_usage?: unknown } | null | undefined;
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, prompt, clientWantsUsage: options?.include_usage === true };
}
