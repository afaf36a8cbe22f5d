import { z } from 'zod';

/** One validation problem, with its path relative to the object sent (`baseUrl`, `entries[0].provider`). */
export const fieldIssueSchema = z.object({ path: z.string(), message: z.string() });

/**
 * Every error answer of the admin API (and of `/v1`): OpenAI-shaped. Config edits that do not
 * validate list every problem in `issues`; an exhausted chain adds its `attempts`.
 */
export const errorBodySchema = z.object({
  error: z.looseObject({
    message: z.string(),
    type: z.string(),
    code: z.string().nullable(),
    /** The field at fault, when one is. */
    param: z.string().nullable(),
    issues: z.array(fieldIssueSchema).optional(),
  }),
});
