/** One Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field. @default 'message' */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
}

/**
 * Reads Server-Sent Events from a response body as they arrive: handles CRLF and LF,
 * events split across chunks, several `data:` lines, comments (`:`), and a last event
 * without its blank line.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  const take = (line: string): SseEvent | undefined => {
    if (line === '') {
      const ready = data.length > 0 ? { event, data: data.join('\n') } : undefined;
      event = 'message';
      data = [];
      return ready;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value || 'message';
    return undefined;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.search(/\r\n|\r|\n/);
    while (newline !== -1) {
      // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
      if (buffer[newline] === '\r' && newline === buffer.length - 1) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      const ready = take(line);
      if (ready) yield ready;
      newline = buffer.search(/\r\n|\r|\n/);
    }
  }
  buffer += decoder.decode();
  for (const line of [...buffer.split(/\r\n|\r|\n/), '']) {
    const ready = take(line);
    if (ready) yield ready;
  }
}
