/**
 * `serve` as a user runs it, with `status` and `test --server` against it: startup lines
 * with the real URL, the admin key file in the data folder, SIGTERM draining to exit 0.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { completionReply, errorReply, type MockProvider, startMockProvider } from '@429chain/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli, temporaryDirectory } from '../testing/run-cli.ts';
import { mockChainConfig, secretKey, writeConfig } from '../testing/write-config.ts';

let mock: MockProvider;
let directory: ReturnType<typeof temporaryDirectory>;
const running: RunningCli[] = [];

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  directory = temporaryDirectory();
});
afterEach(async () => {
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  }
  mock.reset();
  directory.remove();
});

async function serve(args: string[] = []): Promise<{ cli: RunningCli; url: string }> {
  const cli = startCli(['serve', '--port', '0', '--db', 'data/429chain.db', ...args], {
    cwd: directory.path,
    timeoutMs: 60_000,
  });
  running.push(cli);
  const [, url] = await cli.waitForOutput(/proxy: +(http:\/\/127\.0\.0\.1:\d+)\/v1/);
  return { cli, url: url! };
}

describe('429chain serve', () => {
  it('prints where it listens, serves status and test to the admin key holder, and exits 0 on SIGTERM', async () => {
    mock.script('model-a', [
      errorReply(
        429,
        { error: { message: 'Rate limit reached for requests per minute.' } },
        { 'retry-after': '120' },
      ),
    ]);
    mock.script('model-b', [completionReply({ model: 'model-b', text: 'Served.' })]);
    writeConfig(directory.path, mockChainConfig({ baseUrl: mock.url, models: ['model-a', 'model-b'] }));
    const { cli, url } = await serve();
    expect(cli.stdout()).toContain('chains:     default (2 entries) [default]');
    expect(existsSync(join(directory.path, 'data/admin.key'))).toBe(true);

    const answered = await runCli(['test', 'default', 'hi', '--server', url, '--db', 'data/429chain.db'], {
      cwd: directory.path,
    });
    expect(answered.stderr).toBe('');
    expect(answered.code).toBe(0);
    expect(answered.stdout).toMatch(/p1\/model-a .* failed/);
    expect(answered.stdout).toContain('Served.');

    // The admin key comes from data/admin.key (the default place, next to the database).
    const board = await runCli(['status', '--url', url], { cwd: directory.path });
    expect(board.stderr).toBe('');
    expect(board.code).toBe(0);
    expect(board.stdout).toContain('ENTRIES');
    expect(board.stdout).toMatch(/default +1 +p1\/model-a .* exhausted .* (1m|2m) \d\ds/);
    expect(board.stdout).toMatch(/default +2 +p2\/model-b .* (available|tracking)/);
    expect(board.stdout).toContain('BUCKETS');
    expect(board.stdout).not.toContain(secretKey);

    const raw = await runCli(['status', '--url', url, '--json'], { cwd: directory.path });
    expect(raw.code).toBe(0);
    const status = JSON.parse(raw.stdout) as { entries: Array<{ provider: string; state: string }> };
    expect(status.entries.map((entry) => [entry.provider, entry.state])).toContainEqual(['p1', 'exhausted']);

    const refused = await runCli(['status', '--url', url, '--admin-key', 'wrong-key'], {
      cwd: directory.path,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the admin key (401');
    expect(refused.stderr).toContain('admin.key');

    cli.child.kill('SIGTERM');
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('SIGTERM received, draining');
  });

  it('runs the demo when there is no config and no key', async () => {
    const { cli } = await serve(['--no-demo-traffic']);
    expect(cli.stdout()).toContain('DEMO MODE');
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    expect(exit, JSON.stringify({ ...exit, signal: cli.child.signalCode })).toMatchObject({ code: 0 });
  });

  it('exits 1 with each config problem at its path, and no stack trace', async () => {
    writeConfig(
      directory.path,
      mockChainConfig({ baseUrl: mock.url, models: ['m'] }).replace('provider: p1', 'provider: grok'),
    );
    const run = await runCli(['serve', '--port', '0'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Invalid config in 429chain.yaml:\n');
    expect(run.stderr).toContain(
      '  - chains[0].entries[0].provider: unknown provider "grok" (known providers: p1)',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('exits 1 with one line when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      const run = await runCli(['serve', '--demo', '--port', String(port)], { cwd: directory.path });
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `error: cannot listen on 127.0.0.1:${port}: the address is in use (is 429chain already running? pass --port)`,
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('exits 1 when the named config file does not exist', async () => {
    const run = await runCli(['serve', '--config', 'missing.yaml', '--port', '0'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('error: no config file at missing.yaml (create one with `429chain init`)');
  });
});

describe('429chain status', () => {
  it('exits 1 with a one-line message when no server listens', async () => {
    const port = await closedPort();
    const run = await runCli(['status', '--url', `http://127.0.0.1:${port}`], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`cannot reach 429chain at http://127.0.0.1:${port}: connection refused`);
    expect(run.stdout).toBe('');
  });
});

/** A loopback port that nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
