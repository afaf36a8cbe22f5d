import { aliasOf } from '../../config/model-aliases.ts';
import { parseJsonBody } from '../../http/parse-json-body.ts';
import type { EngineContext } from '../../routing/engine-context.ts';
import { sseData } from '../../streaming/sse.ts';
import { readChatPiece } from '../chat-delta.ts';
import type { SurfaceInput } from '../surface-input.ts';
import { jsonResponse, runTranslated, streamResponse } from '../surface-response.ts';
import { translateChatStream } from '../translate-chat-stream.ts';
import { completionsRequestSchema, translateCompletionsRequest } from './completions-request.ts';

/**
 * `POST /v1/completions`: the legacy completions API over one chat request (`prompt` becomes
 * the user's message), streaming or not, in the `text_completion` shape.
 */
export async function createCompletion(context: EngineContext, input: SurfaceInput): Promise<Response> {
  const body = parseJsonBody(await input.request.text(), completionsRequestSchema);
  const { chat, prompt, clientWantsUsage } = translateCompletionsRequest(body);
  chat.model = aliasOf(context.config(), String(body.model));
  const echo = body.echo === true ? prompt : '';
  const id = `cmpl-${input.requestId.replaceAll('-', '')}`;
  const created = Math.floor(context.now() / 1000);
  const answer = await runTranslated(context, input, chat, { surface: 'completions' });
  if (answer.type === 'error') return jsonResponse({ error: answer.error }, answer.status, answer.headers);
  if (answer.type === 'json') {
    const piece = readChatPiece(answer.json);
    return jsonResponse(
      {
        id,
        object: 'text_completion',
        created,
        model: piece.model ?? body.model,
        choices: [
          { text: echo + piece.text, index: 0, logprobs: null, finish_reason: piece.finishReason ?? 'stop' },
        ],
        usage: answer.json.usage ?? null,
      },
      200,
      answer.headers,
    );
  }
  let model = String(body.model);
  let echoed = echo === '';
  const chunk = (text: string, finishReason: string | null, extra: Record<string, unknown> = {}) =>
    sseData(
      JSON.stringify({
        id,
        object: 'text_completion',
        created,
        model,
        choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
        ...extra,
      }),
    );
  const stream = translateChatStream(answer.body, {
    chunk(json) {
      const piece = readChatPiece(json);
      if (piece.model) model = piece.model;
      if (Array.isArray(json.choices) && json.choices.length === 0) {
        return piece.usage && clientWantsUsage
          ? sseData(
              JSON.stringify({
                id,
                object: 'text_completion',
                created,
                model,
                choices: [],
                usage: json.usage,
              }),
            )
          : '';
      }
      if (!piece.text && !piece.finishReason) return '';
      let text = piece.text;
      if (!echoed) {
        text = echo + text;
        echoed = true;
      }
      return chunk(text, piece.finishReason ?? null);
    },
    done: () => 'data: [DONE]\n\n',
    error: (error) => sseData(JSON.stringify({ error: { ...error, param: null } })),
    cut: () => '',
  });
  return streamResponse(stream, answer.headers);
}
