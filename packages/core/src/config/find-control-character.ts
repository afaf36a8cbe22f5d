/**
 * The first character of `value` that must not appear in a name that ends up in a header,
 * a log line or a metric label: C0 and C1 controls, DEL, the line and paragraph separators
 * (U+2028, U+2029) and lone surrogates. Returns it as `U+000D at position 5`, or undefined.
 */
export function findControlCharacter(value: string): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    let lone = false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
      else lone = true;
    } else if (code >= 0xdc00 && code <= 0xdfff) lone = true;
    if (control || lone) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      return `${lone ? 'a lone surrogate ' : ''}U+${hex} at position ${index}`;
    }
  }
  return undefined;
}
