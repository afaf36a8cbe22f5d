/**
 * A throwaway redis-server for tests: a free 127.0.0.1 port, no persistence
 * (`--save '' --appendonly no`), its own temp directory. It can be stopped and started
 * again on the same port to play an outage.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running (or stopped) throwaway redis-server. */
export interface RedisServerProcess {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the server (SIGKILL plays a crash) and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** Finds redis-server: `$REDIS_SERVER`, else the PATH, else Debian's /usr/bin and /usr/sbin. */
export function findRedisServer(): string | undefined {
  const candidates = [
    process.env.REDIS_SERVER,
    ...(process.env.PATH ?? '').split(delimiter).map((directory) => join(directory, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/sbin/redis-server',
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a throwaway redis-server on a free loopback port. */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const binary = findRedisServer();
  if (!binary) {
    throw new Error(
      'redis-server was not found on PATH (apt-get install redis-server, or set REDIS_SERVER).',
    );
  }
  const directory = mkdtempSync(join(tmpdir(), '429chain-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const redisProcess = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        directory,
        '--daemonize',
        'no',
        '--logfile',
        '',
        '--loglevel',
        'notice',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = redisProcess;
    running.add(redisProcess);
    redisProcess.once('exit', () => running.delete(redisProcess));
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => {
        redisProcess.kill('SIGKILL');
        reject(new Error(`redis-server did not start within 10 s:\n${output}`));
      }, 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          redisProcess.stdout?.off('data', onData);
          redisProcess.stdout?.resume();
          resolve();
        }
      };
      redisProcess.stdout?.on('data', onData);
      redisProcess.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      redisProcess.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
      });
    });
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const redisProcess = child;
    child = undefined;
    if (!redisProcess || redisProcess.exitCode !== null || redisProcess.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      redisProcess.once('exit', () => resolve());
      redisProcess.kill(signal);
    });
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
