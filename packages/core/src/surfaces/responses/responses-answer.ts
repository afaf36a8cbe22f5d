import { randomHex, readChatPiece } from '../chat-delta.ts';
import {
  completionStatus,
  functionCallItem,
  messageItem,
  type OutputItem,
  type ResponseShell,
  responseObject,
} from './response-object.ts';

/** A chat completion as a Responses API response object. */
export function translateChatAnswer(
  shell: ResponseShell,
  completion: Record<string, unknown>,
): { response: Record<string, unknown>; output: OutputItem[] } {
  const piece = readChatPiece(completion);
  const output: OutputItem[] = [];
  if (piece.text) output.push(messageItem(`msg_${randomHex()}`, piece.text));
  for (const call of piece.toolCalls) {
    output.push(
      functionCallItem(`fc_${randomHex()}`, {
        callId: call.id ?? `call_${randomHex()}`,
        name: call.name ?? '',
        arguments: call.arguments,
      }),
    );
  }
  const { status, incomplete_details } = completionStatus(piece.finishReason);
  const response = responseObject(
    { ...shell, model: piece.model ?? shell.model },
    { status, output, usage: piece.usage, incompleteDetails: incomplete_details },
  );
  return { response, output };
}
