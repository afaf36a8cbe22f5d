const encoder = new TextEncoder();

/** One `data:` event as text. */
export function sseData(data: string): string {
  return `data: ${data}\n\n`;
}

/** Encodes one `data:` event. */
export function encodeSseData(data: string): Uint8Array {
  return encoder.encode(sseData(data));
}

/** The `data: [DONE]` terminator, sent only after a complete answer. */
export const doneEvent: Uint8Array = encoder.encode('data: [DONE]\n\n');
