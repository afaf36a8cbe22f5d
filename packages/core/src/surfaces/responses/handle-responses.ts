import { aliasOf } from '../../config/model-aliases.ts';
import { InvalidRequestError } from '../../errors.ts';
import { parseJsonBody } from '../../http/parse-json-body.ts';
import { requestIdHeaders } from '../../http/request-id.ts';
import type { EngineContext } from '../../routing/engine-context.ts';
import type { SurfaceInput } from '../surface-input.ts';
import { jsonResponse, runTranslated, streamResponse } from '../surface-response.ts';
import { translateChatStream } from '../translate-chat-stream.ts';
import { type OutputItem, outputToMessage, type ResponseShell } from './response-object.ts';
import { translateChatAnswer } from './responses-answer.ts';
import { responsesRequestSchema, translateResponsesRequest } from './responses-request.ts';
import { responsesStreamTranslator } from './responses-stream.ts';

/**
 * `POST /v1/responses`: the Responses API over the engine's one chat-completions request.
 * Bad input throws an InvalidRequestError (answered OpenAI-shaped by the caller).
 */
export async function createResponse(context: EngineContext, input: SurfaceInput): Promise<Response> {
  const body = parseJsonBody(await input.request.text(), responsesRequestSchema);
  const translated = translateResponsesRequest(body);
  const previousId = typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
  let history: Array<Record<string, unknown>> = [];
  if (previousId) {
    const previous = await context.responses.get(previousId);
    if (!previous) {
      throw new InvalidRequestError(`Previous response with id '${previousId}' not found.`, {
        code: 'previous_response_not_found',
        param: 'previous_response_id',
      });
    }
    history = previous.messages;
  }
  const conversation = [...history, ...translated.inputMessages];
  if (conversation.length === 0) {
    throw new InvalidRequestError("Invalid value for 'input': it holds no message.", {
      code: 'invalid_value',
      param: 'input',
    });
  }
  const chat = {
    ...translated.chat,
    model: aliasOf(context.config(), String(body.model)),
    messages: translated.system ? [translated.system, ...conversation] : conversation,
  };
  const shell: ResponseShell = {
    id: `resp_${input.requestId.replaceAll('-', '')}`,
    createdAt: Math.floor(context.now() / 1000),
    model: String(body.model),
    request: body,
  };
  const store = body.store !== false;
  const keep = async (response: Record<string, unknown>, output: OutputItem[]) => {
    if (!store) return;
    await context.responses.put({
      id: shell.id,
      createdAt: context.now(),
      response,
      messages: [...conversation, outputToMessage(output)],
    });
  };

  const answer = await runTranslated(context, input, chat, {
    surface: 'responses',
    dropped: translated.dropped,
  });
  if (answer.type === 'error') return jsonResponse({ error: answer.error }, answer.status, answer.headers);
  if (answer.type === 'json') {
    const { response, output } = translateChatAnswer(shell, answer.json);
    await keep(response, output);
    return jsonResponse(response, 200, answer.headers);
  }
  const translator = responsesStreamTranslator(shell, ({ response, output }) => {
    Promise.resolve(keep(response, output)).catch((error: unknown) =>
      context.logger.error('the response store failed', { error: String(error) }),
    );
  });
  return streamResponse(translateChatStream(answer.body, translator), answer.headers);
}

/** `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}`. */
export async function responseById(
  context: EngineContext,
  input: SurfaceInput,
  id: string,
): Promise<Response> {
  const headers = new Headers(requestIdHeaders(input.requestId));
  if (input.request.method === 'DELETE') {
    if (await context.responses.delete(id)) {
      return jsonResponse({ id, object: 'response', deleted: true }, 200, headers);
    }
  } else {
    const stored = await context.responses.get(id);
    if (stored) return jsonResponse(stored.response, 200, headers);
  }
  return jsonResponse(
    {
      error: {
        message: `No response found with id '${id}'.`,
        type: 'invalid_request_error',
        code: 'response_not_found',
        param: 'response_id',
      },
    },
    404,
    headers,
  );
}
