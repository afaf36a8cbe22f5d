import { z } from 'zod';

/**
 * Validation of incoming OpenAI requests. Only what routing relies on is checked;
 * every other field passes through untouched.
 */

const contentPartSchema = z.looseObject({ type: z.string() });

const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z
    .union([z.string(), z.array(contentPartSchema), z.null()], {
      error: 'expected a string, an array of content parts, or null',
    })
    .optional(),
});

const positiveInteger = z.number().int().positive();

/** `POST /v1/chat/completions` */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: positiveInteger.nullable().optional(),
  max_completion_tokens: positiveInteger.nullable().optional(),
  tools: z
    .array(z.looseObject({ type: z.string() }))
    .nullable()
    .optional(),
  response_format: z.looseObject({ type: z.string() }).nullable().optional(),
  n: z.number().int().min(1).nullable().optional(),
});

/** `POST /v1/embeddings` */
export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union(
    [z.string(), z.array(z.string()).min(1), z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)],
    {
      error:
        'expected a string, or a non-empty array of strings, of token numbers, or of token number arrays',
    },
  ),
});
