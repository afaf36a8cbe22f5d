import type { ChainConfig, ConfigIssue } from '@429chain/core';
import { ConfigError } from '@429chain/core';
import { ConfigFile, explainFileError } from '@429chain/server';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { CliError } from '../cli-error.ts';
import { configErrorLines, displayPath, isMissingFile, issuesOf } from '../config/describe-config-error.ts';
import { describeConfigCandidates, resolveConfigPath } from '../config/resolve-config-path.ts';

/** What `validate --json` prints. */
export interface ValidationReport {
  valid: boolean;
  /** The file checked, absolute; null when none was found. */
  path: string | null;
  /** Every problem, with its path (`chains[0].entries[1].provider`, or `line 3, column 5`). */
  issues: ConfigIssue[];
  /** Provider ids and types (no keys). */
  providers: Array<{ id: string; type: string }>;
  /** Chains with their entries as `provider/model`. */
  chains: Array<{ name: string; kind: 'chat' | 'embedding'; default: boolean; entries: string[] }>;
}

/** Options of `429chain validate`. */
interface ValidateOptions {
  /** Print the report as JSON. @default false */
  json?: boolean;
}

/** `429chain validate [path]`: loads a config exactly as the server does and reports its problems. */
export function registerValidateCommand(program: Command, context: CliContext): void {
  program
    .command('validate')
    .description('Check a config file exactly as the server reads it (${ENV} references included)')
    .argument(
      '[path]',
      `config file (default: CHAIN429_CONFIG, else the first of ${describeConfigCandidates()})`,
    )
    .option('--json', 'print { valid, issues, providers, chains } as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain validate
  $ 429chain validate config/429chain.yaml
  $ 429chain validate --json | jq '.issues'

Exit code 0 when the file is valid, 1 with one "path: message" line per problem.`,
    )
    .action(async (path: string | undefined, options: ValidateOptions) => {
      const report = await validateConfig(path, context);
      if (options.json) {
        context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        if (!report.valid) throw new CliError('invalid config', { detailsOnly: true });
        return;
      }
      if (!report.valid) {
        // A file with problems prints them as the server does; a missing or unreadable file, one error line.
        if (fromConfig.has(report)) {
          throw configErrorLines(
            new ConfigError(report.issues),
            report.path === null ? undefined : displayPath(report.path, context.cwd),
          );
        }
        throw new CliError('invalid config', {
          details: report.issues.map((issue) => `error: ${issue.message}`),
          detailsOnly: true,
        });
      }
      const shown = displayPath(report.path ?? '', context.cwd);
      const chains = report.chains
        .map(
          (chain) =>
            `${chain.name}: ${chain.entries.length} ${chain.entries.length === 1 ? 'entry' : 'entries'}`,
        )
        .join(', ');
      context.stdout.write(
        `${context.palette.green('valid')} ${shown}: ${count(report.providers.length, 'provider')}, ${count(report.chains.length, 'chain')} (${chains})\n`,
      );
    });
}

/** Reports whose issues are the file's own problems (not a missing or unreadable file). */
const fromConfig = new WeakSet<ValidationReport>();

/** Loads the file with the server's ConfigFile and turns the outcome into a report. */
async function validateConfig(explicit: string | undefined, context: CliContext): Promise<ValidationReport> {
  const path = resolveConfigPath({ explicit, env: context.env, cwd: context.cwd });
  const invalid = (issues: ConfigIssue[]): ValidationReport => ({
    valid: false,
    path: path ?? null,
    issues,
    providers: [],
    chains: [],
  });
  if (path === undefined) {
    return invalid([
      {
        path: '',
        message: `no config file found (looked for ${describeConfigCandidates()}); create one with \`429chain init\``,
      },
    ]);
  }
  try {
    const file = await ConfigFile.load(path, { env: context.env });
    return { valid: true, path, issues: [], ...summarize(file.config) };
  } catch (error) {
    if (error instanceof ConfigError) {
      const report = invalid(issuesOf(error));
      fromConfig.add(report);
      return report;
    }
    if (isMissingFile(error)) {
      return invalid([
        {
          path: '',
          message: `no such file: ${displayPath(path, context.cwd)} (create one with \`429chain init\`)`,
        },
      ]);
    }
    if (error instanceof Error && 'code' in error) {
      const message =
        explainFileError(error, 'read') ?? `cannot read ${displayPath(path, context.cwd)}: ${error.message}`;
      return invalid([{ path: '', message }]);
    }
    throw error;
  }
}

function summarize(config: ChainConfig): Pick<ValidationReport, 'providers' | 'chains'> {
  const defaultChain = config.settings?.defaultChain;
  return {
    providers: config.providers.map((provider) => ({ id: provider.id, type: provider.type })),
    chains: config.chains.map((chain) => ({
      name: chain.name,
      kind: chain.kind ?? 'chat',
      default: chain.name === defaultChain,
      entries: chain.entries.map((entry) => `${entry.provider}/${entry.model}`),
    })),
  };
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? '' : 's'}`;
}
