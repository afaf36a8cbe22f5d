/** Header values that need no encoding: printable ASCII without `%`. */
const plain = /^[\x20-\x24\x26-\x7e]*$/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Makes a name safe as an HTTP header value, and reversible: printable ASCII stays as it
 * is, and everything else (`%`, controls, any non-ASCII character) is percent-encoded as
 * UTF-8, so `decodeURIComponent` gives the name back (`é` → `%C3%A9`). A lone surrogate
 * becomes U+FFFD. Without this a name with a CR/LF or a non-Latin-1 character makes the
 * runtime throw while it writes the headers, after the upstream was already paid for.
 */
export function encodeHeaderValue(value: string): string {
  if (plain.test(value)) return value;
  return encodeURIComponent(value.replace(loneSurrogate, '\uFFFD')).replace(
    /%2[0-4]|%2[6-9A-F]|%3[A-F]|%40|%5[B-F]|%60|%7[B-E]/gi,
    (sequence) => String.fromCharCode(Number.parseInt(sequence.slice(1), 16)),
  );
}

/** Cuts an encoded header value to `limit` characters without splitting a `%XX` escape; adds `...` when cut. */
export function truncateHeaderValue(value: string, limit: number): string {
  if (value.length <= limit) return value;
  let cut = value.slice(0, limit - 3);
  const percent = cut.lastIndexOf('%');
  if (percent !== -1 && percent > cut.length - 3) cut = cut.slice(0, percent);
  return `${cut}...`;
}
