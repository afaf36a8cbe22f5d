import { requestRecordSchema } from '@429chain/core';
import { z } from 'zod';

/** `POST /api/test`: a prompt for a chain, or for one entry (a provider and a model). */
export const testInputSchema = z
  .strictObject({
    /** A chain to run the prompt through. */
    chain: z.string().min(1).optional(),
    /** Or one entry: a provider id… */
    provider: z.string().min(1).optional(),
    /** …and a model. */
    model: z.string().min(1).optional(),
    prompt: z.string().min(1, { error: 'prompt must not be empty' }),
    /** Stream the answer as Server-Sent Events. @default false */
    stream: z.boolean().optional(),
    maxTokens: z.number().int().positive().optional(),
  })
  .refine((body) => body.chain !== undefined || (body.provider !== undefined && body.model !== undefined), {
    error: 'give a chain, or a provider and a model',
    path: ['chain'],
  });

/** What `POST /api/test` answers without streaming (and for a streamed test that failed before its first event). */
export const testAnswerSchema = z.object({
  /** Whether the chain answered. */
  ok: z.boolean(),
  /** The engine's HTTP status. */
  status: z.number().int(),
  /** The answer's text, when there is one. */
  content: z.string().nullable(),
  /** The engine's whole answer: a chat completion, or an OpenAI-shaped error. */
  answer: z.unknown(),
  record: requestRecordSchema,
});
