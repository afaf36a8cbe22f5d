import type { Logger } from '../events/logger.ts';
import type { Candidate } from '../routing/candidate.ts';
import type { AttemptFailure } from '../routing/send-upstream.ts';
import { chunkSourceOf } from './chunk-source.ts';
import type { ParsedEvent } from './read-event.ts';
import { describeBreak, SseEventReader } from './sse-event-reader.ts';

/** A stream that produced content in time: ready to commit. */
export interface FirstContent {
  reader: SseEventReader;
  /** Events read before commit (role chunks and the first content), in order. */
  buffered: ParsedEvent[];
  /** When the first content arrived (epoch ms). */
  firstContentAt: number;
}

/** Input of {@link awaitFirstContent}. */
export interface AwaitFirstContentInput {
  candidate: Candidate;
  response: Response;
  /** Time allowed from headers to first content (ms). */
  timeoutMs: number;
  now: () => number;
  logger: Logger;
}

/**
 * Watches a stream's first events before anything reaches the client. An in-band
 * error, an empty end, or silence past the first-token timeout is a failover, not
 * an answer. Comments and keep-alives are skipped; non-JSON data is dropped and logged.
 */
export async function awaitFirstContent(
  input: AwaitFirstContentInput,
): Promise<{ ok: true; content: FirstContent } | { ok: false; failure: AttemptFailure }> {
  const { candidate, response } = input;
  if (!response.body)
    return { ok: false, failure: { kind: 'server', reason: 'empty stream body', status: 200 } };
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.includes('text/event-stream')) {
    await response.body.cancel().catch(() => {});
    return {
      ok: false,
      failure: {
        kind: 'server',
        reason: `expected an event stream, got "${contentType}"`,
        status: response.status,
      },
    };
  }
  const reader = new SseEventReader(
    chunkSourceOf(response as Response & { body: ReadableStream<Uint8Array> }),
    {
      maxEventSize: candidate.entry.provider.streamEventLimitBytes,
      readUsage: candidate.entry.provider.preset.readUsage,
    },
  );
  const buffered: ParsedEvent[] = [];
  const deadline = input.now() + input.timeoutMs;
  const fail = async (failure: AttemptFailure) => {
    await reader.cancel();
    return {
      ok: false as const,
      failure: { status: response.status, headers: response.headers, ...failure },
    };
  };
  for (;;) {
    const read = await reader.read(Math.max(1, deadline - input.now()));
    switch (read.type) {
      case 'event':
        buffered.push(read.event);
        if (read.event.info.hasContent) {
          return { ok: true, content: { reader, buffered, firstContentAt: input.now() } };
        }
        break;
      case 'invalid':
        input.logger.warn('dropped a non-JSON stream event', {
          provider: candidate.entry.provider.id,
          data: read.data.slice(0, 200),
        });
        break;
      case 'error': {
        const classification = classifyInBand(candidate, read.error, response.headers, input.now());
        return fail({
          kind: classification.kind,
          reason: `in-band error: ${classification.reason}`,
          classification,
        });
      }
      case 'timeout':
        return fail({ kind: 'first-token-timeout', reason: `no first token within ${input.timeoutMs} ms` });
      case 'done':
      case 'end':
        return fail({ kind: 'server', reason: 'the stream ended before any content' });
      case 'broken':
        return fail({
          kind: 'server',
          reason: describeBreak(read.cause, 'the stream broke before any content'),
        });
    }
  }
}

/** Classifies an error that arrived inside a 200 stream, using the status it carries. */
export function classifyInBand(candidate: Candidate, error: unknown, headers: Headers, now: number) {
  const record = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as Record<
    string,
    unknown
  >;
  const carried = Number(record.code ?? record.status);
  const status = Number.isInteger(carried) && carried >= 400 && carried < 600 ? carried : 500;
  return candidate.entry.provider.preset.classify(
    { status, headers, body: JSON.stringify({ error: record }), now },
    { model: candidate.entry.model },
  );
}
