const encoder = new TextEncoder();

/** Encodes one `data:` event. */
export function encodeSseData(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

/** The `data: [DONE]` terminator, sent only after a complete answer. */
export const doneEvent: Uint8Array = encoder.encode('data: [DONE]\n\n');

/** Joins encoded events into one chunk (one write to the client). */
export function joinChunks(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}
