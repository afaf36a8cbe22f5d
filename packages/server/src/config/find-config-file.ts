import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Config files looked for, in order, when none is named. */
export const configCandidates: readonly string[] = [
  '429chain.yaml',
  '429chain.yml',
  '429chain.json',
  'config.yaml',
  'config/config.yaml',
];

/** Options of {@link findConfigFile}. */
export interface FindConfigFileOptions {
  /** The file the user named (`--config`, or an argument). */
  explicit?: string | undefined;
  /** `CHAIN429_CONFIG` names a file, `CHAIN429_CONFIG_DIR` the folder to look in. */
  env: Record<string, string | undefined>;
  /** Where relative paths resolve, and where to look without `CHAIN429_CONFIG_DIR`. */
  cwd: string;
}

/**
 * The config file to read, found the same way by the CLI and the Docker entry: the file
 * named (`--config`), else `CHAIN429_CONFIG`, else the first of {@link configCandidates}
 * in `CHAIN429_CONFIG_DIR` (or the working directory) that exists. Undefined when none is
 * named or found. A `CHAIN429_CONFIG_DIR` that is a file or does not exist is an error:
 * quietly looking elsewhere would start demo mode instead of the config meant.
 */
export function findConfigFile({ explicit, env, cwd }: FindConfigFileOptions): string | undefined {
  const named = explicit ?? env.CHAIN429_CONFIG;
  if (named) return resolve(cwd, named);
  let directory = cwd;
  if (env.CHAIN429_CONFIG_DIR) {
    directory = resolve(cwd, env.CHAIN429_CONFIG_DIR);
    const stats = statSync(directory, { throwIfNoEntry: false });
    if (stats === undefined) {
      throw new Error(
        `CHAIN429_CONFIG_DIR is ${directory}, which does not exist: create it, or unset the variable.`,
      );
    }
    if (!stats.isDirectory()) {
      throw new Error(
        `CHAIN429_CONFIG_DIR is ${directory}, which is a file: name a file with CHAIN429_CONFIG (or --config), and a folder with CHAIN429_CONFIG_DIR.`,
      );
    }
  }
  return configCandidates.map((name) => resolve(directory, name)).find((path) => existsSync(path));
}
