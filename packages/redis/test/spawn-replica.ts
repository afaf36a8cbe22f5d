/**
 * Starts a real proxy process (packages/server/src/main.ts, from source) the way a
 * deployment runs a replica: configured through the environment, on a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The server's entry point, run from source with the `@429chain/source` condition. */
export const serverMainPath: string = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));

/** A running proxy process. */
export interface Replica {
  /** e.g. `http://127.0.0.1:41234` (without `/v1`). */
  url: string;
  process: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns a replica with `PORT=0` and the given environment; resolves once it listens. */
export function spawnReplica(environment: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, ['--conditions=@429chain/source', serverMainPath], {
    env: { ...process.env, PORT: '0', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  let output = '';
  let errors = '';
  child.stderr?.on('data', (data: Buffer) => {
    errors += data.toString('utf8');
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the replica did not start within 30 s:\n${output}\n${errors}`));
    }, 30_000);
    const onData = (data: Buffer) => {
      output += data.toString('utf8');
      const match = /proxy:\s+(http:\/\/\S+)\/v1/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ url: match[1]!, process: child, stderr: () => errors, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the replica exited early (${code}):\n${output}\n${errors}`));
    });
  });
}
