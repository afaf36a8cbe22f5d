import type { TokenUsage } from '../events/request-record.ts';

/** What an answer is named when upstream leaves it out. */
export interface AnswerIdentity {
  /** e.g. `chatcmpl-<request id>` */
  id: string;
  /** The entry's model. */
  model: string;
  /** Epoch seconds. */
  created: number;
}

/**
 * Answer hygiene for a non-streamed completion: `id`, `object`, `created` and `model` filled in
 * where upstream left them out (the SDKs' helpers crash without them). True when it changed.
 */
export function fillAnswerFields(json: Record<string, unknown>, identity: AnswerIdentity): boolean {
  let changed = false;
  if (typeof json.id !== 'string' || json.id === '') {
    json.id = identity.id;
    changed = true;
  }
  if (json.object === undefined && Array.isArray(json.choices)) {
    json.object = 'chat.completion';
    changed = true;
  }
  if (typeof json.created !== 'number') {
    json.created = identity.created;
    changed = true;
  }
  if (typeof json.model !== 'string' || json.model === '') {
    json.model = identity.model;
    changed = true;
  }
  return changed;
}

/**
 * Answer hygiene for a stream, chunk by chunk: every chunk leaves with `id`, `object`, `created`
 * and `model`, and the first delta with `role`. A stream continued on another entry keeps the
 * first chunk's `id`, `created` and `model`; the model that finished it is named on the finishing
 * chunk (`x_429chain.finished_by`), and its usage is the whole answer's.
 */
export class ChunkNormalizer {
  readonly #identity: AnswerIdentity;
  #id: unknown;
  #created: unknown;
  #model: unknown;
  #sawRole = false;
  #continuedBy: string | undefined;

  constructor(identity: AnswerIdentity) {
    this.#identity = identity;
  }

  /** Normalizes one chunk in place; true when it changed (so its text must be written anew). */
  apply(json: Record<string, unknown>, continuation: boolean): boolean {
    let changed = false;
    if (this.#id === undefined) {
      changed = fillAnswerFields(json, this.#identity);
      if (json.object === 'chat.completion') {
        json.object = 'chat.completion.chunk';
        changed = true;
      }
      this.#id = json.id;
      this.#created = json.created;
      this.#model = json.model;
    } else if (
      continuation ||
      json.id !== this.#id ||
      json.created !== this.#created ||
      json.model !== this.#model
    ) {
      if (continuation && typeof json.model === 'string' && json.model !== this.#model)
        this.#continuedBy = json.model;
      if (json.id !== this.#id || json.created !== this.#created || json.model !== this.#model) {
        json.id = this.#id;
        json.created = this.#created;
        json.model = this.#model;
        changed = true;
      }
    }
    if (json.object === undefined) {
      json.object = 'chat.completion.chunk';
      changed = true;
    }
    if (!this.#sawRole) {
      const delta = firstDelta(json);
      if (delta) {
        this.#sawRole = true;
        if (delta.role === undefined) {
          delta.role = 'assistant';
          changed = true;
        }
      }
    }
    return changed;
  }

  /** Names the model that finished a continued stream on its finishing chunk. */
  markFinish(json: Record<string, unknown>, finishedBy: string): void {
    json.x_429chain = { continued: true, finished_by: this.#continuedBy ?? finishedBy };
  }
}

function firstDelta(json: Record<string, unknown>): Record<string, unknown> | undefined {
  const choice = Array.isArray(json.choices)
    ? (json.choices[0] as Record<string, unknown> | undefined)
    : undefined;
  const delta = choice?.delta;
  return typeof delta === 'object' && delta !== null ? (delta as Record<string, unknown>) : undefined;
}

/** Token usage in OpenAI's wire shape. */
export function wireUsage(usage: TokenUsage): Record<string, number> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
}

/** The count of a part that broke before its usage came: the prompt estimate and the text's length. */
export function estimateBrokenUsage(promptTokens: number, forwardedText: string): TokenUsage {
  const completionTokens = Math.ceil(forwardedText.length / 4);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
