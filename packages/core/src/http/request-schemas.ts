import { z } from 'zod';
import { findControlCharacter } from '../config/find-control-character.ts';

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

/** Longest `model` accepted: chain names and `provider/model` ids are far shorter. */
export const modelNameLimit = 256;

/**
 * A chain name or `provider/model`: it is echoed in headers, logs and the request log, so it
 * may hold no control character, line separator or lone surrogate (any other Unicode is fine).
 */
const modelName = z
  .string()
  .min(1)
  .max(modelNameLimit, { error: `must be at most ${modelNameLimit} characters` })
  .superRefine((value, context) => {
    const found = findControlCharacter(value);
    if (found)
      context.addIssue({ code: 'custom', message: `must not contain control characters (found ${found})` });
  });

/** `POST /v1/chat/completions` */
export const chatRequestSchema = z.looseObject({
  model: modelName,
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
  model: modelName,
  input: z.union(
    [z.string(), z.array(z.string()).min(1), z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)],
    {
      error:
        'expected a string, or a non-empty array of strings, of token numbers, or of token number arrays',
    },
  ),
});
