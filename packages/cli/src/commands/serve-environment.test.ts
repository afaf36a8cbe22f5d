/**
 * Issue 12: the CLI reads PORT, HOST, CHAIN429_DB and CHAIN429_CONFIG_DIR as
 * docs/configuration.md says, the same way the Docker entry does (one resolution in the
 * server: flags, then the environment, then the file). A CHAIN429_CONFIG_DIR that names a
 * file is an error that says so, not a silent demo mode.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type MockProvider, startMockProvider } from '@429chain/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli, temporaryDirectory } from '../testing/run-cli.ts';
import { mockChainConfig, writeConfig } from '../testing/write-config.ts';

let mock: MockProvider;
let directory: ReturnType<typeof temporaryDirectory>;
const running: RunningCli[] = [];

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());
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
  directory.remove();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('429chain serve and the environment', () => {
  it('listens on PORT and HOST, logs to CHAIN429_DB, and reads the config from CHAIN429_CONFIG_DIR', async () => {
    const port = await freePort();
    const configDirectory = join(directory.path, 'config');
    mkdirSync(configDirectory);
    writeConfig(configDirectory, mockChainConfig({ baseUrl: mock.url, models: ['env-model'] }));
    const dbPath = join(directory.path, 'elsewhere', 'log.db');
    const cli = startCli([], {
      cwd: directory.path,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        CHAIN429_DB: dbPath,
        CHAIN429_CONFIG_DIR: configDirectory,
      },
      timeoutMs: 60_000,
    });
    running.push(cli);
    const [, url] = await cli.waitForOutput(/proxy:\s+(http:\/\/\S+)\/v1/);
    const answer = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    });
    cli.child.kill('SIGTERM');
    const run = await cli.exited;

    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(run.stdout).toContain(`config file ${join(configDirectory, '429chain.yaml')}`);
    expect(answer.status).toBe(200);
    expect(mock.requestsFor('env-model')).toHaveLength(1);
    expect(existsSync(dbPath)).toBe(true);
    expect(run.code).toBe(0);
  });

  it('lets a flag win over the environment', async () => {
    const [flagPort, envPort] = [await freePort(), await freePort()];
    const cli = startCli(['--demo', '--no-demo-traffic', '--port', String(flagPort)], {
      cwd: directory.path,
      env: { PORT: String(envPort) },
      timeoutMs: 60_000,
    });
    running.push(cli);
    const [, url] = await cli.waitForOutput(/proxy:\s+(http:\/\/\S+)\/v1/);
    expect(url).toBe(`http://127.0.0.1:${flagPort}`);
  });

  it('refuses a CHAIN429_CONFIG_DIR that is a file, saying to use CHAIN429_CONFIG', async () => {
    const file = writeConfig(directory.path, mockChainConfig({ baseUrl: mock.url, models: ['m'] }));
    const run = await runCli([], { cwd: directory.path, env: { CHAIN429_CONFIG_DIR: file, PORT: '0' } });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`CHAIN429_CONFIG_DIR is ${file}, which is a file`);
    expect(run.stderr).toContain('CHAIN429_CONFIG');
    expect(run.stdout).not.toContain('DEMO MODE');
  });

  it('refuses a PORT that is not a port number', async () => {
    const run = await runCli(['--demo'], { cwd: directory.path, env: { PORT: 'eighty' } });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('error: PORT is "eighty": expected a port number from 0 to 65535.');
  });

  it('validate finds the config in CHAIN429_CONFIG_DIR too', async () => {
    const configDirectory = join(directory.path, 'config');
    mkdirSync(configDirectory);
    writeConfig(configDirectory, mockChainConfig({ baseUrl: mock.url, models: ['m'] }));
    const run = await runCli(['validate'], {
      cwd: directory.path,
      env: { CHAIN429_CONFIG_DIR: configDirectory },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid');
  });
});
