import { ConfigFile, configFromEnvironment } from '@429chain/server';
import { CliError } from '../cli-error.ts';
import { describeConfigError } from './describe-config-error.ts';
import { describeConfigCandidates, resolveConfigPath } from './resolve-config-path.ts';

/** Options of {@link loadConfigFile}. */
export interface LoadConfigFileOptions {
  /** The file the user named (`--config`). */
  explicit?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  /** With no file named or found, build the config from provider keys in the environment, as the server does. @default false */
  environmentFallback?: boolean | undefined;
}

/**
 * Loads and validates the config a command works with, exactly as the server does
 * (`${NAME}` references, YAML errors, cross-references). Throws a {@link CliError}
 * naming each problem's path.
 */
export async function loadConfigFile(options: LoadConfigFileOptions): Promise<ConfigFile> {
  const path = resolveConfigPath(options);
  if (path === undefined) {
    const fromEnvironment = options.environmentFallback ? configFromEnvironment(options.env) : undefined;
    if (fromEnvironment) return ConfigFile.fromObject(fromEnvironment, { env: options.env });
    throw new CliError(
      `no config file found (looked for ${describeConfigCandidates()}); name one with --config or create one with \`429chain init\``,
    );
  }
  try {
    return await ConfigFile.load(path, { env: options.env });
  } catch (error) {
    throw describeConfigError(error, { path, cwd: options.cwd });
  }
}
