import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import type { CliContext, OutputStream, SignalSource } from './cli-context.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerProvidersCommand } from './commands/providers.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTestCommand } from './commands/test.ts';
import { registerValidateCommand } from './commands/validate.ts';
import { createPalette, useColor } from './format/create-palette.ts';

/** Options of {@link createProgram}: where the CLI reads and writes (tests inject their own). */
export interface ProgramOptions {
  /** Results. @default process.stdout */
  stdout?: OutputStream | undefined;
  /** Errors and diagnostics. @default process.stderr */
  stderr?: OutputStream | undefined;
  /** Environment. @default process.env */
  env?: Record<string, string | undefined> | undefined;
  /** Working directory for relative paths. @default process.cwd() */
  cwd?: string | undefined;
  /** Where `serve` hears SIGTERM and SIGINT. @default process */
  signals?: SignalSource | undefined;
  /** The fetch used to reach a running server. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined;
}

/**
 * Builds the `429chain` program: `serve` (the default), `init`, `validate`, `test`,
 * `status`, `providers`. It never exits the process: commander's exits are thrown as
 * CommanderError (see {@link runProgram} for the exit codes).
 */
export function createProgram(options: ProgramOptions = {}): Command {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const context: CliContext = {
    stdout,
    stderr,
    env,
    cwd: options.cwd ?? process.cwd(),
    signals: options.signals ?? process,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    palette: createPalette(useColor({ stream: stdout, env })),
  };

  const program = new Command('429chain');
  // Settings that subcommands inherit must come before they are added.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      getOutHasColors: () => useColor({ stream: stdout, env }),
      getErrHasColors: () => useColor({ stream: stderr, env }),
    })
    .showHelpAfterError('(add --help for usage and examples)')
    .description(
      'One OpenAI-compatible endpoint over many free-tier LLM quotas: requests waterfall through chains of providers, skipping exhausted ones and failing over on 429s.',
    )
    .version(packageJson.version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain                                 # start the proxy (demo mode without config or keys)
  $ 429chain init && 429chain validate       # write and check a starter config
  $ 429chain test default "hello"            # one prompt through the default chain
  $ 429chain status                          # the live rate-limit board of a running server
  $ 429chain providers                       # the provider presets and their free tiers

Exit codes: 0 success, 1 failure (invalid config, request not answered, server
unreachable), 2 usage error (unknown command or option, missing argument).`,
    );

  registerServeCommand(program, context);
  registerInitCommand(program, context);
  registerValidateCommand(program, context);
  registerTestCommand(program, context);
  registerStatusCommand(program, context);
  registerProvidersCommand(program, context);
  return program;
}
