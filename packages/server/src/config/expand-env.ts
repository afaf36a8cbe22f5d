import type { ConfigIssue } from '@429chain/core';

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Whether a string is exactly one `${NAME}` reference (safe to show; it holds no secret). */
export function isEnvReference(value: unknown): boolean {
  return typeof value === 'string' && /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/.test(value);
}

/**
 * Replaces `${NAME}` (and `${NAME:-fallback}`) in every string of a config with the
 * environment's value. A missing variable without a fallback is an issue at its path.
 */
export function expandEnv(
  value: unknown,
  env: Record<string, string | undefined>,
): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') {
      return node.replace(reference, (_match, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        issues.push({ path, message: `environment variable ${name} is not set` });
        return '';
      });
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, `${path}[${index}]`));
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, walk(item, path ? `${path}.${key}` : key)]),
      );
    }
    return node;
  };
  return { value: walk(value, ''), issues };
}
