import type { RequestRecord } from '@429chain/core';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnvironment } from '../http/create-app.ts';
import { httpError } from '../http/openai-error.ts';
import type { AdminContext } from './admin-context.ts';
import { readJsonObject, route } from './route-methods.ts';

const testSchema = z
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

const encoder = new TextEncoder();

/**
 * `POST /api/test`: runs a prompt through a chain or one entry and returns the answer
 * with its attempt trail. With `stream: true` the answer's chunks arrive as SSE `data:`
 * events as they come, followed by an `event: record` with the trail.
 */
export function mountTestRoute(app: Hono<AppEnvironment>, context: AdminContext): void {
  route(app, '/api/test', {
    POST: async (c) => {
      const parsed = testSchema.safeParse(await readJsonObject(c.req.raw));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const param = issue.path.join('.') || undefined;
        throw httpError(400, 'invalid_value', `${param ?? 'body'}: ${issue.message}`, { param });
      }
      const body = parsed.data;
      if (
        body.provider !== undefined &&
        !context.chain.config().providers.some((found) => found.id === body.provider)
      ) {
        throw httpError(404, 'provider_not_found', `No provider with id "${body.provider}".`, {
          param: 'provider',
        });
      }
      const model = body.chain ?? `${body.provider}/${body.model}`;
      const requestId = crypto.randomUUID();
      const record = new Promise<RequestRecord>((resolve) => {
        const off = context.chain.on('request-end', (event) => {
          if (event.record.id !== requestId) return;
          off();
          resolve(event.record);
        });
      });
      const response = await context.chain.handle(
        new Request('http://429chain.local/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model,
            stream: body.stream === true,
            stream_options: body.stream ? { include_usage: true } : undefined,
            max_tokens: body.maxTokens,
            messages: [{ role: 'user', content: body.prompt }],
          }),
          signal: c.req.raw.signal,
        }),
        { requestId, metadata: { client: 'admin test' }, onAbort: 'close' },
      );

      if (!body.stream || !response.ok || !response.body) {
        const answer = (await response.json()) as Record<string, unknown>;
        const choices = answer.choices as Array<{ message?: { content?: unknown } }> | undefined;
        return c.json({
          ok: response.ok,
          status: response.status,
          content: typeof choices?.[0]?.message?.content === 'string' ? choices[0].message.content : null,
          answer,
          record: await record,
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
    },
  });
}
