import { runPrompt } from '@429chain/core';
import { adminEndpoints } from '../admin-api/admin-endpoints.ts';
import { httpError } from '../http/openai-error.ts';
import type { AdminContext } from './admin-context.ts';
import { type ServedEndpoint, serveEndpoint } from './mount-endpoints.ts';

const encoder = new TextEncoder();

/**
 * `POST /api/test`: runs a prompt through a chain or one entry (core's `runPrompt`) and returns
 * the answer with its attempt trail. With `stream: true` the answer's chunks arrive as SSE
 * `data:` events as they come, followed by an `event: record` with the trail.
 */
export function testEndpoint(context: AdminContext): ServedEndpoint {
  return serveEndpoint(adminEndpoints.runTest, async ({ body, c, reply }) => {
    const { requestId, response, record } = await runPrompt({
      chain: context.chain,
      target:
        body.chain !== undefined ? { chain: body.chain } : { provider: body.provider!, model: body.model! },
      prompt: body.prompt,
      stream: body.stream,
      maxTokens: body.maxTokens,
      signal: c.req.raw.signal,
      metadata: { client: 'admin test' },
      onAbort: 'close',
    });

    if (!body.stream || !response.ok || !response.body) {
      const answer = (await response.json()) as Record<string, unknown>;
      const finished = await record;
      // Refused before anything was tried (a bad model name, an unlisted model): the test
      // request itself is at fault, so it gets the engine's 4xx, naming the field.
      if (response.status >= 400 && response.status < 500 && finished.attempts.length === 0) {
        const error = (answer.error ?? {}) as { message?: string; code?: string; param?: string };
        throw httpError(
          response.status,
          error.code ?? 'invalid_request',
          error.message ?? 'The test request was refused.',
          { param: error.param },
        );
      }
      const choices = answer.choices as Array<{ message?: { content?: unknown } }> | undefined;
      const content = choices?.[0]?.message?.content;
      return reply(200, {
        ok: response.ok,
        status: response.status,
        content: typeof content === 'string' ? content : null,
        answer,
        record: finished,
      });
    }
    const upstream = response.body;
    const relay = new ReadableStream<Uint8Array>({
      async start(controller) {
        const reader = upstream.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            controller.enqueue(value);
          }
          controller.enqueue(encoder.encode(`event: record\ndata: ${JSON.stringify(await record)}\n\n`));
          controller.close();
        } catch (error) {
          controller.error(error);
        }
      },
      cancel(reason) {
        return upstream.cancel(reason);
      },
    });
    return new Response(relay, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-429chain-request-id': requestId,
        'x-429chain-trail': response.headers.get('x-429chain-trail') ?? '',
      },
    });
  });
}
