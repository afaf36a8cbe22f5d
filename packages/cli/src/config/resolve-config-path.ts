import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { configCandidates } from '@429chain/server';

/** Options of {@link resolveConfigPath}. */
export interface ResolveConfigPathOptions {
  /** The path the user named (`--config`, or an argument). */
  explicit?: string | undefined;
  /** Environment: `CHAIN429_CONFIG` names a file too. */
  env: Record<string, string | undefined>;
  /** Directory relative paths resolve against. */
  cwd: string;
}

/**
 * The config file a command reads, found as the server finds it: the path given, else
 * `CHAIN429_CONFIG`, else the first of `429chain.yaml`, `429chain.yml`, `429chain.json`,
 * `config.yaml`, `config/config.yaml` that exists. Undefined when none is named or found.
 */
export function resolveConfigPath({ explicit, env, cwd }: ResolveConfigPathOptions): string | undefined {
  const named = explicit ?? env.CHAIN429_CONFIG;
  if (named) return resolve(cwd, named);
  return configCandidates.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

/** The names looked for, for messages. */
export function describeConfigCandidates(): string {
  return configCandidates.join(', ');
}
