import { resolve } from 'node:path';
import { ConfigError } from '@429chain/core';
import { describeStartup, type RunningServer, startServer } from '@429chain/server';
import type { Command } from 'commander';
import type { CliContext, SignalSource } from '../cli-context.ts';
import { CliError } from '../cli-error.ts';
import { configErrorLines, describeConfigError } from '../config/describe-config-error.ts';
import { resolveConfigPath } from '../config/resolve-config-path.ts';
import { findDashboard } from '../dashboard/find-dashboard.ts';
import { createStreamLogger } from '../log/create-stream-logger.ts';
import { parsePort } from '../options/parse-port.ts';

/** Options of `429chain serve`. */
interface ServeOptions {
  /** Config file. @default CHAIN429_CONFIG, else ./429chain.yaml and the other usual names */
  config?: string;
  /** Port; 0 picks a free one. @default settings.port, else 3429 */
  port?: number;
  /** Host to bind. @default settings.host, else 127.0.0.1 */
  host?: string;
  /** SQLite file for the request log and rate-limit state. @default settings.dbPath, else ./data/429chain.db */
  db?: string;
  /** Serve simulated providers. @default false */
  demo?: boolean;
  /** Send simulated traffic in demo mode (`--no-demo-traffic` turns it off). @default true */
  demoTraffic?: boolean;
}

/** `429chain [serve]`: starts the proxy and dashboard; SIGTERM or SIGINT drains and exits 0. */
export function registerServeCommand(program: Command, context: CliContext): void {
  program
    .command('serve', { isDefault: true })
    .description('Start the proxy and dashboard (the default command)')
    .option('-c, --config <path>', 'config file (default: CHAIN429_CONFIG, else ./429chain.yaml, …)')
    .option(
      '-p, --port <n>',
      'port to listen on; 0 picks a free one (default: settings.port, else 3429)',
      parsePort,
    )
    .option('-H, --host <host>', 'address to bind (default: settings.host, else 127.0.0.1)')
    .option(
      '--db <path>',
      'SQLite file for the request log and rate-limit state (default: ./data/429chain.db)',
    )
    .option('--demo', 'serve simulated free-tier providers (no keys needed)')
    .option('--no-demo-traffic', 'in demo mode, do not send simulated traffic')
    // Operands that are not a command land here (serve is the default): reported as an unknown command.
    .allowExcessArguments(true)
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain                              # serve ./429chain.yaml, or keys from the environment, or the demo
  $ 429chain serve --config 429chain.yaml --port 8080
  $ 429chain --demo                       # simulated providers: watch waterfalls and quotas move
  $ GROQ_API_KEY=gsk_… 429chain          # a default chain from the keys in the environment

Without a config file, provider keys in the usual variables (GROQ_API_KEY,
GEMINI_API_KEY, …) build a default chain; with no keys at all, demo mode runs.
SIGTERM or Ctrl-C stops accepting requests, lets those in flight finish, and exits 0.`,
    )
    .action(async (options: ServeOptions, command: Command) => {
      const stray = command.args[0];
      if (stray !== undefined) {
        const names = program.commands.map((found) => found.name()).join(', ');
        command.error(`error: unknown command '${stray}' (commands: ${names})`, {
          code: 'commander.unknownCommand',
          exitCode: 2,
        });
      }
      // Listen before starting: a signal that comes while the startup lines are read still drains.
      const stop = waitForSignal(context.signals);
      let server: RunningServer;
      try {
        server = await start(options, context);
      } catch (error) {
        stop.cancel();
        throw error;
      }
      context.stdout.write(`${describeStartup(server).join('\n')}\n`);
      const signal = await stop.signal;
      context.stdout.write(`429chain: ${signal} received, draining…\n`);
      const again = waitForSignal(context.signals);
      const outcome = await Promise.race([server.close().then(() => 'closed' as const), again.signal]);
      again.cancel();
      if (outcome !== 'closed') {
        throw new CliError(`${outcome} received again: stopped without waiting for requests in flight`);
      }
      context.stdout.write('429chain: stopped\n');
    });
}

async function start(options: ServeOptions, context: CliContext): Promise<RunningServer> {
  const configPath = options.demo
    ? undefined
    : resolveConfigPath({ explicit: options.config, env: context.env, cwd: context.cwd });
  try {
    return await startServer({
      configPath,
      port: options.port,
      host: options.host,
      dbPath: options.db === undefined ? undefined : resolve(context.cwd, options.db),
      demo: options.demo,
      demoTraffic: options.demoTraffic,
      dashboardDirectory: findDashboard(),
      env: context.env,
      logger: createStreamLogger({ stream: context.stderr }),
    });
  } catch (error) {
    if (configPath !== undefined) {
      const described = describeConfigError(error, { path: configPath, cwd: context.cwd });
      if (described instanceof CliError) throw described;
    }
    if (error instanceof ConfigError) {
      throw configErrorLines(error, undefined);
    }
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      const { address, port } = error as Error & { address?: string; port?: number };
      throw new CliError(
        `cannot listen on ${address ?? options.host ?? 'the host'}:${port ?? options.port ?? 'the port'}: the address is in use (is 429chain already running? pass --port)`,
      );
    }
    if (
      error instanceof Error &&
      'code' in error &&
      (error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL')
    ) {
      throw new CliError(`cannot listen: ${error.message}`);
    }
    throw error;
  }
}

/** The next SIGTERM or SIGINT, and a way to stop listening for it. */
function waitForSignal(signals: SignalSource): { signal: Promise<'SIGTERM' | 'SIGINT'>; cancel(): void } {
  let cancel = () => {};
  const signal = new Promise<'SIGTERM' | 'SIGINT'>((resolve) => {
    const onTerm = () => {
      cancel();
      resolve('SIGTERM');
    };
    const onInt = () => {
      cancel();
      resolve('SIGINT');
    };
    cancel = () => {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
    };
    signals.once('SIGTERM', onTerm);
    signals.once('SIGINT', onInt);
  });
  return { signal, cancel };
}
