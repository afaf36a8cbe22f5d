import type { Logger } from '@429chain/core';

/** `scheme://user:password@` or `scheme://token@` in a text. */
const credentials = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(:[^\s/@]*)?@/gi;

/**
 * Masks the credentials of every URL in a text: `redis://default:s3cret@host` becomes
 * `redis://default:***@host`, and `https://token@host` becomes `https://***@host`. Used on
 * everything the server shows (settings, providers) or logs, so a store URL's password or a
 * base URL's token never leaves it.
 */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(credentials, (_match, scheme: string, user: string, password: string | undefined) =>
    password === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
}

/** The same over every string of a JSON-like value. */
export function maskUrlCredentialsIn<Value>(value: Value): Value {
  if (typeof value === 'string') return maskUrlCredentials(value) as Value;
  if (Array.isArray(value)) return value.map((item) => maskUrlCredentialsIn(item)) as Value;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, maskUrlCredentialsIn(item)]),
    ) as Value;
  }
  return value;
}

/** A logger that masks URL credentials in every message and field before `logger` sees them. */
export function maskingLogger(logger: Logger): Logger {
  const wrap =
    (write: Logger['info']): Logger['info'] =>
    (message, fields) =>
      write(maskUrlCredentials(message), fields === undefined ? undefined : maskUrlCredentialsIn(fields));
  return {
    debug: wrap(logger.debug.bind(logger)),
    info: wrap(logger.info.bind(logger)),
    warn: wrap(logger.warn.bind(logger)),
    error: wrap(logger.error.bind(logger)),
  };
}
