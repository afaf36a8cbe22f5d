import { createHash, timingSafeEqual } from 'node:crypto';

/** A key the server accepts, held as a digest so comparisons take constant time. */
export interface AcceptedKey {
  digest: Buffer;
  /** Shown in logs and stats: `key 2 (…9f3a)`; never the key. */
  label: string;
}

const digestOf = (value: string) => createHash('sha256').update(value).digest();

/** Prepares keys for {@link matchKey}. */
export function acceptedKeys(values: readonly string[] | undefined): AcceptedKey[] {
  return (values ?? []).map((value, index) => ({
    digest: digestOf(value),
    label: value.length >= 12 ? `key ${index + 1} (…${value.slice(-4)})` : `key ${index + 1}`,
  }));
}

/**
 * Finds the accepted key equal to `presented`. Both sides are hashed to equal length and
 * compared with `timingSafeEqual`, and every accepted key is compared, so the time taken
 * says nothing about which key (or how much of one) matched.
 */
export function matchKey(
  presented: string | undefined,
  keys: readonly AcceptedKey[],
): AcceptedKey | undefined {
  if (presented === undefined || presented === '') return undefined;
  const digest = digestOf(presented);
  let found: AcceptedKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(digest, key.digest) && found === undefined) found = key;
  }
  return found;
}

/** Reads a key from `Authorization: Bearer …` or `x-api-key`. */
export function presentedKey(headers: Headers): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

/** Whether a host name binds loopback only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
