/** Starting and watching the benchmark's processes (mock, servers), shared by run.ts and redis-store.ts. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A child process with the tail of its output, for error messages. */
export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  output: () => string;
}

/** Spawns a Node process (the same Node as this one), always draining its pipes. */
export function startProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): StartedProcess {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  // A full pipe would block the process on its next write.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  return { child, pid: child.pid, output: () => output };
}

/** Only what a process needs to run: no provider keys, no CHAIN429_* settings from the shell. */
export function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** A free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `url` answers 2xx, failing early when the process exits. */
export async function waitFor(
  name: string,
  url: string,
  started: Pick<StartedProcess, 'child' | 'output'>,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) {
      throw new Error(`${name} exited (${started.child.exitCode}):\n${started.output()}`);
    }
    const ok = await fetch(url).then(
      (response) => response.arrayBuffer().then(() => response.ok),
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${name} did not answer ${url} within 30 s:\n${started.output()}`);
}
