/**
 * Rules that make a conversation portable between providers: a history written with one
 * provider's answers (its tool-call ids, its extra fields) rewritten into what another accepts,
 * consistently across every message. Presets compose them in their `rewriteRequest` hook.
 */

type Body = Record<string, unknown>;
type Message = Record<string, unknown>;

/** Fields some providers add to assistant messages that others reject (Mistral answers 422). */
const providerOnlyFields = ['reasoning_content', 'reasoning', 'reasoning_details', 'x_groq', 'annotations'];

/** Drops provider-only fields from assistant messages; the body is copied only when one is found. */
export function dropProviderFields(body: Body): Body {
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  let copied: Message[] | undefined;
  messages.forEach((message: Message, index) => {
    if (message?.role !== 'assistant') return;
    if (!providerOnlyFields.some((field) => field in message)) return;
    copied ??= [...messages];
    const clean = { ...message };
    for (const field of providerOnlyFields) delete clean[field];
    copied[index] = clean;
  });
  return copied ? { ...body, messages: copied } : body;
}

/**
 * Rewrites every tool-call id of the history (the assistant's `tool_calls[].id` and the tool
 * messages' `tool_call_id`) with `shape`, which must map the same id to the same result, so
 * calls and results still pair up. The body is copied only when an id changes.
 */
export function rewriteToolCallIds(body: Body, shape: (id: string) => string): Body {
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  let copied: Message[] | undefined;
  messages.forEach((message: Message, index) => {
    if (!message || typeof message !== 'object') return;
    if (typeof message.tool_call_id === 'string') {
      const id = shape(message.tool_call_id);
      if (id !== message.tool_call_id) {
        copied ??= [...messages];
        copied[index] = { ...message, tool_call_id: id };
      }
      return;
    }
    if (!Array.isArray(message.tool_calls)) return;
    const calls = message.tool_calls as Message[];
    if (!calls.some((call) => typeof call?.id === 'string' && shape(call.id) !== call.id)) return;
    copied ??= [...messages];
    copied[index] = {
      ...message,
      tool_calls: calls.map((call) =>
        typeof call?.id === 'string' ? { ...call, id: shape(call.id) } : call,
      ),
    };
  });
  return copied ? { ...body, messages: copied } : body;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A stable alphanumeric digest of `text`, `length` characters long (two FNV-1a passes, 64 bits). */
export function alphanumericDigest(text: string, length: number): string {
  let first = 0x811c9dc5;
  let second = 0x01000193 ^ text.length;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193);
    second = Math.imul(second ^ code, 0x5bd1e995);
  }
  let value = (BigInt(first >>> 0) << 32n) | BigInt(second >>> 0);
  let out = '';
  while (out.length < length) {
    out += alphabet[Number(value % 62n)];
    value /= 62n;
    if (value === 0n) value = BigInt((first ^ second) >>> 0) + BigInt(out.length);
  }
  return out;
}

/** Mistral's tool-call ids: exactly nine letters or digits. */
export function nineAlphanumerics(id: string): string {
  return /^[A-Za-z0-9]{9}$/.test(id) ? id : alphanumericDigest(id, 9);
}

/** At most `max` characters (OpenAI takes 40): longer ids become `call_` and a digest. */
export function atMostCharacters(max: number): (id: string) => string {
  return (id) => (id.length <= max ? id : `call_${alphanumericDigest(id, Math.min(24, max - 5))}`);
}

/** Replaces image parts with a short note, for entries without vision that take such requests anyway. */
export function dropImages(body: Body): Body {
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  let copied: Message[] | undefined;
  messages.forEach((message: Message, index) => {
    const content = message?.content;
    if (!Array.isArray(content)) return;
    const isImage = (part: unknown) => {
      const type = (part as { type?: unknown } | null)?.type;
      return type === 'image_url' || type === 'input_image' || type === 'image';
    };
    if (!content.some(isImage)) return;
    copied ??= [...messages];
    copied[index] = {
      ...message,
      content: content.map((part) =>
        isImage(part)
          ? { type: 'text', text: '[an image was left out: this model does not accept images]' }
          : part,
      ),
    };
  });
  return copied ? { ...body, messages: copied } : body;
}
