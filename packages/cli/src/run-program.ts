import { CommanderError } from 'commander';
import { CliError } from './cli-error.ts';
import { createProgram, type ProgramOptions } from './create-program.ts';

/** Exit codes scripts can trust. */
export const exitCodes = {
  /** The command did what it was asked. */
  success: 0,
  /** It could not: invalid config, a request not answered, a server out of reach. */
  failure: 1,
  /** It was asked wrongly: unknown command or option, missing or invalid argument. */
  usage: 2,
} as const;

/**
 * Runs the CLI on `argv` (the user's arguments, without `node` and the script) and
 * returns the exit code. Errors are printed as `error: …` lines, never with a stack trace.
 */
export async function runProgram(argv: readonly string[], options: ProgramOptions = {}): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const program = createProgram(options);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.success;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version are exits too; every other commander error is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return exitCodes.success;
      if (error.code === 'commander.help' && error.exitCode === 0) return exitCodes.success;
      return exitCodes.usage;
    }
    if (error instanceof CliError) {
      const lines = error.detailsOnly
        ? [...error.details]
        : [`error: ${error.message}`, ...error.details.map((line) => `  ${line}`)];
      if (lines.length > 0) stderr.write(`${lines.join('\n')}\n`);
      return error.exitCode;
    }
    stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.failure;
  }
}
