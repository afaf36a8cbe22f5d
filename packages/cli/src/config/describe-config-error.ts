import { relative } from 'node:path';
import { ConfigError, type ConfigIssue } from '@429chain/core';
import { CliError } from '../cli-error.ts';

/** A config problem as `path: message`, or the message alone when it has no path (a file-level problem). */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** A ConfigError's problems, the document's root named `(root)` rather than left blank. */
export function issuesOf(error: ConfigError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: issue.path || '(root)', message: issue.message }));
}

/** Whether an error says that a file does not exist. */
export function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
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
  if (error instanceof ConfigError) {
    return new CliError(`invalid config in ${shown}`, { details: issuesOf(error).map(formatIssue) });
  }
  // File-system errors about this very file (not, say, the port being in use).
  if (!(error instanceof Error && 'path' in error && error.path === path)) return error;
  if (isMissingFile(error)) {
    return new CliError(`no config file at ${shown} (create one with \`429chain init\`)`);
  }
  return new CliError(`cannot read ${shown}: ${error.message}`);
}

/** A path relative to the working directory when it lies inside it, else absolute. */
export function displayPath(path: string, cwd: string): string {
  const fromCwd = relative(cwd, path);
  return fromCwd && !fromCwd.startsWith('..') ? fromCwd : path;
}
