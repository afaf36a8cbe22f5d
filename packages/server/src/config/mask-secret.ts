import { isEnvReference } from './expand-env.ts';

/** Shows a secret as `…a1b2` (its last four characters when long enough), or a `${NAME}` reference as is. */
export function maskSecret(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return '';
  if (isEnvReference(value)) return value;
  return value.length >= 12 ? `…${value.slice(-4)}` : '…';
}
