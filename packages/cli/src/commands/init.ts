import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { CliError } from '../cli-error.ts';
import { displayPath } from '../config/describe-config-error.ts';
import { starterConfig, starterProviders } from '../init/starter-config.ts';

/** Options of `429chain init`. */
interface InitOptions {
  /** Overwrite an existing file. @default false */
  force?: boolean;
  /** How the default chain orders its entries. @default 'ordered' */
  strategy?: string;
}

const strategies = ['ordered', 'expiring-first'] as const;

/** `429chain init [path]`: writes the commented starter config. */
export function registerInitCommand(program: Command, context: CliContext): void {
  program
    .command('init')
    .description('Write a commented starter config (Groq, Cerebras, Gemini, OpenRouter free tiers)')
    .argument('[path]', 'where to write it', './429chain.yaml')
    .option('-f, --force', 'overwrite the file if it exists')
    .option(
      '--strategy <strategy>',
      'order of the default chain: ordered (a preference order) or expiring-first (interchangeable free models: soonest-expiring capacity first)',
      'ordered',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain init
  $ 429chain init config/429chain.yaml
  $ 429chain init --force             # start over
  $ 429chain init --strategy expiring-first

The file holds \${GROQ_API_KEY}-style references, not keys, and is written with
mode 0600. Check it with \`429chain validate\`, then start with \`429chain\`.`,
    )
    .action(async (path: string, options: InitOptions) => {
      const strategy = strategies.find((known) => known === options.strategy);
      if (!strategy) {
        throw new CliError(`--strategy must be ${strategies.join(' or ')}, not "${options.strategy}"`);
      }
      const target = resolve(context.cwd, path);
      const shown = displayPath(target, context.cwd);
      await mkdir(dirname(target), { recursive: true });
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(target, options.force ? 'w' : 'wx', 0o600);
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'EEXIST') {
          throw new CliError(`${shown} already exists; pass --force to overwrite it`);
        }
        throw error;
      }
      try {
        await handle.writeFile(starterConfig({ strategy }), 'utf8');
      } finally {
        await handle.close();
      }
      // An overwritten file keeps its old mode: tighten it too.
      await chmod(target, 0o600);

      const missing = starterProviders()
        .map(({ envKey }) => envKey)
        .filter((name) => !context.env[name]);
      const { palette } = context;
      const lines = [`${palette.green('Wrote')} ${shown}`, ''];
      if (missing.length > 0) {
        lines.push(
          `Set ${missing.join(', ')} in the environment,`,
          'or delete the providers you do not use (and their chain entries) from the file.',
          '',
        );
      }
      const configOption = shown === '429chain.yaml' ? '' : ` --config ${shown}`;
      lines.push(
        'Next:',
        `  429chain validate${shown === '429chain.yaml' ? '' : ` ${shown}`}`,
        `  429chain test default "hello"${configOption}`,
        `  429chain${configOption}`,
      );
      context.stdout.write(`${lines.join('\n')}\n`);
    });
}
