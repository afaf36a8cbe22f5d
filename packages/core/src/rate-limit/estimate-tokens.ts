/**
 * Token estimates made before a request is sent, so that a token bucket can refuse
 * a request it cannot take. Four characters per token is the usual rule of thumb for
 * English with BPE tokenizers; estimates are reconciled with real usage afterwards.
 */

const charactersPerToken = 4;
const tokensPerMessage = 4;
const tokensPerImage = 765;

/** Estimates the prompt tokens of a chat request body (messages, tools, schema). */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let characters = 0;
  let extraTokens = 0;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    extraTokens += tokensPerMessage;
    if (typeof message !== 'object' || message === null) continue;
    const { content, tool_calls: toolCalls, name } = message as Record<string, unknown>;
    if (typeof name === 'string') characters += name.length;
    if (typeof content === 'string') characters += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part !== 'object' || part === null) continue;
        const { type, text } = part as Record<string, unknown>;
        if (typeof text === 'string') characters += text.length;
        else if (type === 'image_url' || type === 'input_image' || type === 'image')
          extraTokens += tokensPerImage;
      }
    }
    if (toolCalls !== undefined) characters += JSON.stringify(toolCalls).length;
  }
  if (body.tools !== undefined) characters += JSON.stringify(body.tools).length;
  if (body.response_format !== undefined) characters += JSON.stringify(body.response_format).length;
  return Math.ceil(characters / charactersPerToken) + extraTokens;
}

/** Estimates the tokens of an embeddings request's input. */
export function estimateEmbeddingTokens(body: Record<string, unknown>): number {
  const input = body.input;
  if (typeof input === 'string') return Math.ceil(input.length / charactersPerToken);
  if (!Array.isArray(input)) return 0;
  let tokens = 0;
  for (const item of input) {
    if (typeof item === 'string') tokens += Math.ceil(item.length / charactersPerToken);
    else if (Array.isArray(item)) tokens += item.length;
    else if (typeof item === 'number') tokens += 1;
  }
  return tokens;
}

/** The completion budget a request asks for (`max_completion_tokens` or `max_tokens`). */
export function requestedCompletionTokens(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
