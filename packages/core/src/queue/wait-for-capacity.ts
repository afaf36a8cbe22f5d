import { QueueFullError } from '../errors.ts';
import type { EngineContext } from '../routing/engine-context.ts';
import type { RequestTrail } from '../routing/request-trail.ts';
import { QueueWaitExpired, type Turn } from './wait-queue.ts';

/** Input of {@link waitForCapacity}. */
export interface WaitForCapacityInput {
  requestId: string;
  chain: string;
  trail: RequestTrail;
  /** When capacity is expected back (the earliest reset of the pass that found none). */
  until: number | undefined;
  /** When this request stops waiting (epoch ms). */
  deadline: number;
  signal: AbortSignal;
  /** The request already had a turn and found nothing: it rejoins at the head. */
  rejoin: boolean;
}

/**
 * Queue mode: waits for the request's turn once every entry of its chain is rate-limited. It
 * joins the queue (or rejoins at its head after a turn that found nothing), emits `queue-join`
 * and `queue-leave`, and adds the wait to the trail. Resolves to the turn, or to `undefined`
 * when the expected reset is past the deadline or the deadline passed (the request then
 * answers 429); rejects when the queue is full, the client left, or the chain closed.
 */
export async function waitForCapacity(
  context: EngineContext,
  input: WaitForCapacityInput,
): Promise<Turn | undefined> {
  const settings = context.config().settings;
  if (input.until !== undefined && input.until > input.deadline) return undefined;
  if (!input.rejoin && context.queue.size >= settings.queueMaxSize)
    throw new QueueFullError(settings.queueMaxSize);
  const joinedAt = context.now();
  if (!input.rejoin) {
    context.events.emit('queue-join', {
      requestId: input.requestId,
      chain: input.chain,
      size: context.queue.size + 1,
      at: joinedAt,
    });
  }
  const leave = (reason: 'resumed' | 'timeout' | 'cancelled' | 'closed') => {
    input.trail.queuedMs += context.now() - joinedAt;
    context.events.emit('queue-leave', {
      requestId: input.requestId,
      chain: input.chain,
      reason,
      waitedMs: context.now() - joinedAt,
      at: context.now(),
    });
  };
  try {
    const turn = await context.queue.wait({
      requestId: input.requestId,
      until: input.until,
      deadline: input.deadline,
      signal: input.signal,
      atHead: input.rejoin,
    });
    leave('resumed');
    return turn;
  } catch (error) {
    const expired = error instanceof QueueWaitExpired;
    leave(expired ? 'timeout' : input.signal.aborted ? 'cancelled' : 'closed');
    if (expired) return undefined;
    throw error;
  }
}
