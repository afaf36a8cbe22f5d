import { maskSecret } from '@429chain/server';

/**
 * Replaces every occurrence of a secret in a text with a mask showing at most its last
 * four characters (`…a1b2`). Secrets shorter than 8 characters are left alone: they would
 * match ordinary words, and no real provider key is that short.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 8 || !result.includes(secret)) continue;
    result = result.split(secret).join(maskSecret(secret));
  }
  return result;
}
