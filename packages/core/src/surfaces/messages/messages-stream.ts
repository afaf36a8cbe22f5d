import type { TokenUsage } from '../../events/request-record.ts';
import { readChatPiece } from '../chat-delta.ts';
import { type ChatStreamTranslator, namedEvent } from '../translate-chat-stream.ts';
import { anthropicUsage, stopReason } from './messages-answer.ts';

/**
 * Translates the engine's chat chunks into Anthropic's stream: `message_start`, `ping`, then per
 * content block `content_block_start`, `content_block_delta` (`text_delta` or
 * `input_json_delta`)…, `content_block_stop`, and at the end `message_delta` (stop reason and
 * usage) and `message_stop`. A stream that broke and could not be continued ends with an
 * `error` event (`overloaded_error`) and no `message_stop`.
 */
export function messagesStreamTranslator(options: {
  id: string;
  model: string;
  /** Input tokens estimated before sending (`message_start` needs a figure before usage arrives). */
  estimatedInputTokens: number;
}): ChatStreamTranslator {
  let index = -1;
  let open: 'text' | 'tool' | undefined;
  const toolBlocks = new Map<number, number>();
  let finishReason: string | undefined;
  let sawTool = false;
  let usage: TokenUsage | undefined;
  let model = options.model;

  const closeOpen = () => {
    if (open === undefined) return '';
    open = undefined;
    return namedEvent('content_block_stop', { type: 'content_block_stop', index });
  };

  return {
    start() {
      return (
        namedEvent('message_start', {
          type: 'message_start',
          message: {
            id: options.id,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...anthropicUsage(undefined, options.estimatedInputTokens), output_tokens: 1 },
          },
        }) + namedEvent('ping', { type: 'ping' })
      );
    },
    chunk(chunk) {
      const piece = readChatPiece(chunk);
      if (piece.usage) usage = piece.usage;
      if (piece.model) model = piece.model;
      let out = '';
      if (piece.text) {
        if (open !== 'text') {
          out += closeOpen();
          index++;
          open = 'text';
          out += namedEvent('content_block_start', {
            type: 'content_block_start',
            index,
            content_block: { type: 'text', text: '' },
          });
        }
        out += namedEvent('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: piece.text },
        });
      }
      for (const call of piece.toolCalls) {
        sawTool = true;
        let block = toolBlocks.get(call.index);
        if (block === undefined) {
          out += closeOpen();
          index++;
          block = index;
          toolBlocks.set(call.index, block);
          open = 'tool';
          out += namedEvent('content_block_start', {
            type: 'content_block_start',
            index,
            content_block: {
              type: 'tool_use',
              id: call.id ?? `toolu_${options.id.slice(4)}_${call.index}`,
              name: call.name ?? '',
              input: {},
            },
          });
        }
        if (call.arguments && block === index) {
          out += namedEvent('content_block_delta', {
            type: 'content_block_delta',
            index: block,
            delta: { type: 'input_json_delta', partial_json: call.arguments },
          });
        }
      }
      if (piece.finishReason) finishReason = piece.finishReason;
      return out;
    },
    done() {
      return (
        closeOpen() +
        namedEvent('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: sawTool ? 'tool_use' : stopReason(finishReason), stop_sequence: null },
          usage: anthropicUsage(usage, options.estimatedInputTokens),
        }) +
        namedEvent('message_stop', { type: 'message_stop' })
      );
    },
    error(error) {
      return namedEvent('error', {
        type: 'error',
        error: { type: 'overloaded_error', message: error.message, code: error.code },
      });
    },
    cut() {
      return namedEvent('error', {
        type: 'error',
        error: {
          type: 'api_error',
          message: 'The answer ended before it was complete.',
          code: 'stream_interrupted',
        },
      });
    },
  };
}
