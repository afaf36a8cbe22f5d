import { aliasOf } from '../../config/model-aliases.ts';
import { parseJsonBody } from '../../http/parse-json-body.ts';
import { requestIdHeaders } from '../../http/request-id.ts';
import { estimatePromptTokens } from '../../rate-limit/estimate-tokens.ts';
import type { EngineContext } from '../../routing/engine-context.ts';
import type { SurfaceInput } from '../surface-input.ts';
import { jsonResponse, runTranslated, streamResponse } from '../surface-response.ts';
import { translateChatStream } from '../translate-chat-stream.ts';
import { translateChatAnswer } from './messages-answer.ts';
import { anthropicError } from './messages-error.ts';
import {
  countTokensRequestSchema,
  messagesRequestSchema,
  translateMessagesRequest,
} from './messages-request.ts';
import { messagesStreamTranslator } from './messages-stream.ts';

/**
 * `POST /v1/messages`: Anthropic's Messages API over the engine's one chat-completions request.
 * Bad input throws an InvalidRequestError (answered in Anthropic's shape by the caller).
 */
export async function createMessage(context: EngineContext, input: SurfaceInput): Promise<Response> {
  const body = parseJsonBody(await input.request.text(), messagesRequestSchema);
  const { chat, dropped } = translateMessagesRequest(body);
  chat.model = aliasOf(context.config(), String(body.model));
  const id = `msg_${input.requestId.replaceAll('-', '')}`;
  const model = String(body.model);
  const answer = await runTranslated(context, input, chat, { surface: 'messages', dropped });
  if (answer.type === 'error') {
    const { status, body: errorBody } = anthropicError(answer.status, answer.error);
    return jsonResponse({ ...errorBody, request_id: input.requestId }, status, answer.headers);
  }
  if (answer.type === 'json')
    return jsonResponse(translateChatAnswer(id, model, answer.json), 200, answer.headers);
  const translator = messagesStreamTranslator({
    id,
    model,
    estimatedInputTokens: estimatePromptTokens(chat),
  });
  return streamResponse(translateChatStream(answer.body, translator), answer.headers);
}

/** `POST /v1/messages/count_tokens`: the engine's own estimate of the prompt (nothing is sent upstream). */
export async function countTokens(input: SurfaceInput): Promise<Response> {
  const body = parseJsonBody(await input.request.text(), countTokensRequestSchema);
  const { chat } = translateMessagesRequest(body);
  return jsonResponse(
    { input_tokens: estimatePromptTokens(chat) },
    200,
    new Headers(requestIdHeaders(input.requestId)),
  );
}
