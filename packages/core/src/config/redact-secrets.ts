/** Replaces every known secret in a text with `[redacted]`. */
export type Redact = (text: string) => string;

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /** Secrets shorter than this are left alone: they would match ordinary words. @default 6 */
  minLength?: number | undefined;
  /** What a secret is replaced with. @default '[redacted]' */
  replacement?: string | undefined;
}

/**
 * Builds a redactor over secrets (provider keys, header values, URL passwords). Providers
 * sometimes echo a key in an error body, and not always as it was sent: lower-cased,
 * URL-encoded (`%2B` for `+`), or JSON-escaped (`\/` for `/`, `\"` for `"`). Every one of
 * those forms is found, in any letter case; nothing that leaves the engine (error answers,
 * trails, events, logs) may carry a key.
 */
export function createRedactor(secrets: Iterable<string>, options: RedactorOptions = {}): Redact {
  const minLength = options.minLength ?? 6;
  const replacement = options.replacement ?? '[redacted]';
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < minLength) continue;
    for (const form of formsOf(secret)) forms.add(form);
  }
  if (forms.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = new RegExp(
    [...forms]
      .sort((left, right) => right.length - left.length)
      .map(escapeRegExp)
      .join('|'),
    'gi',
  );
  return (text) => (text.length === 0 ? text : text.replace(pattern, replacement));
}

/** The ways a secret may appear in an echoed text. */
function formsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    json,
    json.replace(/\//g, '\\/'),
    // Escaped once more: a JSON error body quoted inside another JSON string.
    JSON.stringify(json).slice(1, -1),
  ];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
