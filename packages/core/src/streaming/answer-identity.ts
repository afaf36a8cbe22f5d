import type { RequestTrail } from '../routing/request-trail.ts';
import type { AnswerIdentity } from './normalize-chunk.ts';

/** The names an answer gets where upstream left them out: `chatcmpl-<request id>`, the entry's model, now. */
export function answerIdentity(requestId: string, model: string, now: number): AnswerIdentity {
  return { id: `chatcmpl-${requestId.replaceAll('-', '')}`, model, created: Math.floor(now / 1000) };
}

/** Keeps upstream's own answer id on the attempt that answered (the trail), before hygiene renames anything. */
export function noteUpstreamId(trail: RequestTrail, id: unknown): void {
  const attempt = trail.attempts.at(-1);
  if (attempt && typeof id === 'string' && id !== '') attempt.upstreamId = id;
}
