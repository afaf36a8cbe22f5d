import type { TokenUsage } from '../../events/request-record.ts';
import { randomHex, readChatPiece } from '../chat-delta.ts';
import { type ChatStreamTranslator, namedEvent } from '../translate-chat-stream.ts';
import {
  completionStatus,
  functionCallItem,
  messageItem,
  type OutputItem,
  type ResponseShell,
  responseObject,
} from './response-object.ts';

/** How a streamed response ended, for the response store. */
export interface StreamedResponse {
  response: Record<string, unknown>;
  output: OutputItem[];
}

interface OpenText {
  kind: 'text';
  outputIndex: number;
  id: string;
  text: string;
}

interface OpenCall {
  kind: 'call';
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
}

/**
 * Translates the engine's chat chunks into the Responses API's streaming events, each with its
 * `sequence_number`: `response.created`, `response.in_progress`, then per output item
 * `response.output_item.added`, (`response.content_part.added`, `response.output_text.delta`…,
 * `response.output_text.done`, `response.content_part.done`) or
 * (`response.function_call_arguments.delta`…, `response.function_call_arguments.done`),
 * `response.output_item.done`, and finally `response.completed` (or `response.incomplete`,
 * or `response.failed` when the stream broke and could not be continued).
 */
export function responsesStreamTranslator(
  shell: ResponseShell,
  onFinish: (finished: StreamedResponse) => void,
): ChatStreamTranslator {
  let sequence = 0;
  let model = shell.model;
  const output: OutputItem[] = [];
  let open: OpenText | OpenCall | undefined;
  const calls = new Map<number, OpenCall>();
  let finishReason: string | undefined;
  let usage: TokenUsage | undefined;

  const event = (type: string, fields: Record<string, unknown>) =>
    namedEvent(type, { type, sequence_number: sequence++, ...fields });
  const snapshot = (
    status: 'in_progress' | 'completed' | 'incomplete' | 'failed',
    extra: { error?: { code: string; message: string }; incompleteDetails?: { reason: string } | null } = {},
  ) => responseObject({ ...shell, model }, { status, output: [...output], usage, ...extra });

  const closeOpen = (): string => {
    if (!open) return '';
    const item = open;
    open = undefined;
    return closeItem(item);
  };
  const closeItem = (item: OpenText | OpenCall): string => {
    if (item.kind === 'text') {
      const done = messageItem(item.id, item.text);
      output[item.outputIndex] = done;
      const part = (done.content as unknown[])[0];
      return (
        event('response.output_text.done', {
          item_id: item.id,
          output_index: item.outputIndex,
          content_index: 0,
          text: item.text,
          logprobs: [],
        }) +
        event('response.content_part.done', {
          item_id: item.id,
          output_index: item.outputIndex,
          content_index: 0,
          part,
        }) +
        event('response.output_item.done', { output_index: item.outputIndex, item: done })
      );
    }
    const done = functionCallItem(item.id, item);
    output[item.outputIndex] = done;
    return (
      event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: item.outputIndex,
        name: item.name,
        arguments: item.arguments,
      }) + event('response.output_item.done', { output_index: item.outputIndex, item: done })
    );
  };

  return {
    start() {
      const created = snapshot('in_progress');
      return (
        event('response.created', { response: created }) +
        event('response.in_progress', { response: created })
      );
    },
    chunk(chunk) {
      const piece = readChatPiece(chunk);
      if (piece.usage) usage = piece.usage;
      if (piece.model) model = piece.model;
      let text = '';
      if (piece.text) {
        if (open?.kind !== 'text') {
          text += closeOpen();
          const id = `msg_${randomHex()}`;
          open = { kind: 'text', outputIndex: output.length, id, text: '' };
          output.push({ ...messageItem(id, '', 'in_progress'), content: [] });
          text +=
            event('response.output_item.added', {
              output_index: open.outputIndex,
              item: { ...output[open.outputIndex] },
            }) +
            event('response.content_part.added', {
              item_id: id,
              output_index: open.outputIndex,
              content_index: 0,
              part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
            });
        }
        open.text += piece.text;
        text += event('response.output_text.delta', {
          item_id: open.id,
          output_index: open.outputIndex,
          content_index: 0,
          delta: piece.text,
          logprobs: [],
        });
      }
      for (const call of piece.toolCalls) {
        let current = calls.get(call.index);
        if (!current) {
          text += closeOpen();
          current = {
            kind: 'call',
            outputIndex: output.length,
            id: `fc_${randomHex()}`,
            callId: call.id ?? `call_${randomHex()}`,
            name: call.name ?? '',
            arguments: '',
          };
          calls.set(call.index, current);
          open = current;
          output.push(functionCallItem(current.id, current, 'in_progress'));
          text += event('response.output_item.added', {
            output_index: current.outputIndex,
            item: { ...output[current.outputIndex] },
          });
        }
        // Interleaved tool calls: each delta goes to its own item, whichever is open.
        if (call.arguments) {
          current.arguments += call.arguments;
          text += event('response.function_call_arguments.delta', {
            item_id: current.id,
            output_index: current.outputIndex,
            delta: call.arguments,
          });
        }
      }
      if (piece.finishReason) finishReason = piece.finishReason;
      return text;
    },
    done() {
      let text = closeOpen();
      for (const call of calls.values()) {
        if (output[call.outputIndex]?.status === 'in_progress') text += closeItem(call);
      }
      const { status, incomplete_details } = completionStatus(finishReason);
      const response = snapshot(status, { incompleteDetails: incomplete_details });
      text += event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
      onFinish({ response, output: [...output] });
      return text;
    },
    error(error) {
      const response = snapshot('failed', { error: { code: error.code, message: error.message } });
      return event('response.failed', { response });
    },
    cut() {
      const response = snapshot('failed', {
        error: { code: 'stream_interrupted', message: 'The answer ended before it was complete.' },
      });
      return event('response.failed', { response });
    },
  };
}
