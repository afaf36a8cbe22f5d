import type { ResolvedEntry } from '../config/resolve-config.ts';
import { estimatePromptTokens, requestedCompletionTokens } from '../rate-limit/estimate-tokens.ts';

/** What a chat request needs from an entry. */
export interface Requirements {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  /** Estimated prompt tokens. */
  promptTokens: number;
  /** Completion tokens asked for, if any. */
  completionTokens: number | undefined;
}

/** Reads a chat request's needs. */
export function requirementsOf(body: Record<string, unknown>): Requirements {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const vision = messages.some((message) => {
    const content = (message as { content?: unknown }).content;
    return (
      Array.isArray(content) &&
      content.some((part) => {
        const type = (part as { type?: unknown }).type;
        return type === 'image_url' || type === 'input_image' || type === 'image';
      })
    );
  });
  const format = (body.response_format as { type?: unknown } | null | undefined)?.type;
  return {
    tools: Array.isArray(body.tools) && body.tools.length > 0,
    vision,
    jsonMode: format === 'json_object' || format === 'json_schema',
    promptTokens: estimatePromptTokens(body),
    completionTokens: requestedCompletionTokens(body),
  };
}

/** Says why an entry cannot serve a request, or `undefined` when it can. */
export function unmetRequirement(entry: ResolvedEntry, needs: Requirements): string | undefined {
  const capabilities = entry.capabilities;
  if (needs.tools && capabilities.tools === false) return 'does not support tools';
  if (needs.vision && capabilities.vision === false && capabilities.dropImages !== true) {
    return 'does not accept images';
  }
  if (needs.jsonMode && capabilities.jsonMode === false) return 'does not support JSON mode';
  const window = capabilities.contextWindow;
  if (window !== undefined) {
    const needed = needs.promptTokens + (needs.completionTokens ?? 0);
    if (needed > window) return `needs ~${needed} tokens, context window is ${window}`;
  }
  return undefined;
}
