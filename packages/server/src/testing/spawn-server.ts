/**
 * Runs the Docker entry (`main.ts`: the proxy from the environment alone) as a child process,
 * as the image does: for tests that need a process of its own (its RSS, its signals, its uid).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Docker entry, absolute. */
export const serverEntry = fileURLToPath(new URL('../main.ts', import.meta.url));

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  /** Working directory. */
  cwd: string;
  /** The whole environment the server sees (PATH is added). */
  env: Record<string, string>;
  /** Run as this user and group (the tests run as root; the image runs as 1000). */
  uid?: number | undefined;
  gid?: number | undefined;
}

/** A running (or finished) server process. */
export interface SpawnedServer {
  child: ChildProcess;
  output(): string;
  /** The base URL once the startup lines name it; rejects when the process exits first. */
  url: Promise<string>;
  /** Resolves with the exit code (null for a signal) and everything it printed. */
  exited: Promise<{ code: number | null; output: string }>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<{ code: number | null; output: string }>;
}

export function spawnServer(options: SpawnServerOptions): SpawnedServer {
  const child = spawn(process.execPath, ['--conditions=@429chain/source', serverEntry], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output })),
  );
  const url = new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /proxy:\s+(http:\/\/\S+)\/v1/.exec(output);
      if (match) resolve(match[1]!.replace('0.0.0.0', '127.0.0.1'));
    };
    child.stdout?.on('data', look);
    void exited.then(() => reject(new Error(`the server exited before listening:\n${output}`)));
  });
  url.catch(() => {});
  return {
    child,
    output: () => output,
    url,
    exited,
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
