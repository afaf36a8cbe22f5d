/** Replaces every known secret in a text with `[redacted]`. */
export type Redact = (text: string) => string;

const shortest = 6;

/**
 * Builds a redactor over secrets (provider keys, header values). Providers sometimes
 * echo a key in an error body; nothing that leaves the engine (error answers, trails,
 * events, logs) may carry it.
 */
export function createRedactor(secrets: Iterable<string>): Redact {
  const list = [...new Set([...secrets].filter((secret) => secret.length >= shortest))].sort(
    (left, right) => right.length - left.length,
  );
  if (list.length === 0) return (text) => text;
  return (text) => {
    let result = text;
    for (const secret of list) if (result.includes(secret)) result = result.split(secret).join('[redacted]');
    return result;
  };
}
