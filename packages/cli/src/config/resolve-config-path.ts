import { configCandidates, findConfigFile } from '@429chain/server';

/** Options of {@link resolveConfigPath}. */
export interface ResolveConfigPathOptions {
  /** The path the user named (`--config`, or an argument). */
  explicit?: string | undefined;
  /** Environment: `CHAIN429_CONFIG` names a file, `CHAIN429_CONFIG_DIR` the folder to look in. */
  env: Record<string, string | undefined>;
  /** Directory relative paths resolve against. */
  cwd: string;
}

/**
 * The config file a command reads, found exactly as the server finds it (the server's
 * `findConfigFile`): the path given, else `CHAIN429_CONFIG`, else the first of
 * `429chain.yaml`, …, `config/config.yaml` in `CHAIN429_CONFIG_DIR` or the working
 * directory. Undefined when none is named or found.
 */
export function resolveConfigPath(options: ResolveConfigPathOptions): string | undefined {
  return findConfigFile(options);
}

/** The names looked for, for messages. */
export function describeConfigCandidates(): string {
  return configCandidates.join(', ');
}
