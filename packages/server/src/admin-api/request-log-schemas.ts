import { requestRecordSchema } from '@429chain/core';
import { z } from 'zod';

/** One row of the request log: the request without its trail, and the name of its client. */
export const requestSummarySchema = requestRecordSchema.omit({ attempts: true }).extend({
  /** `metadata.client`: the name of the client key, when there is one. */
  client: z.string().optional(),
});

/** `GET /api/requests`: one page of the log, newest first. */
export const requestPageSchema = z.object({
  items: z.array(requestSummarySchema),
  /** Pass as `cursor` for the next (older) page; `null` on the last page. */
  nextCursor: z.string().nullable(),
});
