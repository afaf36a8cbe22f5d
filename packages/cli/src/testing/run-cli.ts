/**
 * Runs the CLI as a child process, as a user would: Node with the `@429chain/source`
 * condition on `src/cli.ts`, in a working directory and environment the test chooses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI's entry, absolute. */
export const cliEntry = fileURLToPath(new URL('../cli.ts', import.meta.url));

/** How a CLI run ended. */
export interface CliRun {
  /** Exit code; null when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli} and {@link startCli}. */
export interface CliRunOptions {
  /** Working directory. */
  cwd: string;
  /** Variables added to a minimal environment (PATH, HOME, NO_COLOR). */
  env?: Record<string, string> | undefined;
  /** Kill the child after this long (ms). @default 20000 */
  timeoutMs?: number | undefined;
}

/** A CLI process still running (e.g. `serve`). */
export interface RunningCli {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects if the process ends first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process exits. */
  exited: Promise<CliRun>;
}

/** A fresh environment: no provider keys or CHAIN429_* from the developer's shell leak in. */
export function cliEnvironment(cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', ...extra };
}

/** Starts the CLI with `args`. */
export function startCli(args: readonly string[], options: CliRunOptions): RunningCli {
  const child = spawn(process.execPath, ['--conditions=@429chain/source', cliEntry, ...args], {
    cwd: options.cwd,
    env: cliEnvironment(options.cwd, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  let closed = false;
  const exited = new Promise<CliRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      closed = true;
      for (const listener of listeners) listener();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            done();
            resolve(match);
          } else if (closed) {
            done();
            reject(new Error(`the CLI exited before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs the CLI with `args` to its end. */
export function runCli(args: readonly string[], options: CliRunOptions): Promise<CliRun> {
  return startCli(args, options).exited;
}

/** A temporary directory, and the function that removes it. */
export function temporaryDirectory(prefix = '429chain-cli-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
