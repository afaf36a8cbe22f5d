import { relative } from 'node:path';
import { ConfigError, type ConfigIssue } from '@429chain/core';
import { explainFileError } from '@429chain/server';
import { CliError } from '../cli-error.ts';

/** A ConfigError's problems, the document's root named `(root)` rather than left blank. */
export function issuesOf(error: ConfigError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: issue.path || '(root)', message: issue.message }));
}

/** Whether an error says that a file does not exist. */
export function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/**
 * A config's problems as docs/configuration.md shows them, the same lines the server prints:
 * `Invalid config in 429chain.yaml:` and one `  - path: message` line per problem.
 */
export function configErrorLines(error: ConfigError, shown: string | undefined): CliError {
  const lines = new ConfigError(error.issues, { source: shown }).message.split('\n');
  return new CliError('invalid config', { details: lines, detailsOnly: true });
}

/** Options of {@link describeConfigError}. */
export interface DescribeConfigErrorOptions {
  /** The config file, absolute. */
  path: string;
  /** Directory paths are shown relative to. */
  cwd: string;
}

/**
 * Turns a failure to load a config file into a {@link CliError}: each problem on its own
 * line with its path, a missing file with the hint to create one. Other errors pass through.
 */
export function describeConfigError(error: unknown, { path, cwd }: DescribeConfigErrorOptions): unknown {
  const shown = displayPath(path, cwd);
  if (error instanceof ConfigError) return configErrorLines(error, shown);
  // File-system errors about this very file (not, say, the port being in use).
  if (!(error instanceof Error && 'path' in error && error.path === path)) return error;
  if (isMissingFile(error)) {
    return new CliError(`no config file at ${shown} (create one with \`429chain init\`)`);
  }
  return new CliError(explainFileError(error, 'read') ?? `cannot read ${shown}: ${error.message}`);
}

/** A path relative to the working directory when it lies inside it, else absolute. */
export function displayPath(path: string, cwd: string): string {
  const fromCwd = relative(cwd, path);
  return fromCwd && !fromCwd.startsWith('..') ? fromCwd : path;
}
