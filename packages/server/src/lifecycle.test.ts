/**
 * The proxy's life: starting from the environment and in demo mode, and SIGTERM with
 * requests in flight (no row lost). The original v1 config.yaml: config/v1-config.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import {
  completionReply,
  errorReply,
  type MockProvider,
  startMockProvider,
  streamReply,
} from '@429chain/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './start-server.ts';

let mock: MockProvider;
let directory: string;
const servers: RunningServer[] = [];

beforeAll(async () => {
  mock = await startMockProvider();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  mock.reset();
  if (directory) rmSync(directory, { recursive: true, force: true });
});
afterAll(async () => {
  await mock.close();
});

function temporaryDirectory(): string {
  directory = mkdtempSync(join(tmpdir(), '429chain-lifecycle-'));
  return directory;
}

async function start(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer({ port: 0, dashboardDirectory: false, ...options });
  servers.push(server);
  return server;
}

function chat(server: RunningServer, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

describe('starting', () => {
  it('builds a default chain from provider keys in the environment when there is no config file', async () => {
    const root = temporaryDirectory();
    const server = await start({
      searchDirectory: root,
      dbPath: join(root, 'state.db'),
      env: {
        GROQ_API_KEY: 'gsk-from-the-environment-1234',
        CEREBRAS_API_KEY: 'csk-from-the-environment-5678',
      },
    });
    expect(server.mode).toBe('environment');
    const chains = server.configFile.config.chains;
    expect(chains.map((chain) => chain.name)).toEqual(['default']);
    expect(chains[0]!.entries.map((entry) => entry.provider)).toEqual(['groq', 'cerebras']);
    expect(server.configFile.raw()).toMatchObject({
      providers: [{ apiKey: '${GROQ_API_KEY}' }, { apiKey: '${CEREBRAS_API_KEY}' }],
    });
  });

  it('starts a clearly marked demo mode with no config and no keys, and the simulated providers waterfall', async () => {
    const root = temporaryDirectory();
    const server = await start({
      searchDirectory: root,
      dbPath: join(root, 'state.db'),
      env: {},
      demoTraffic: false,
    });
    expect(server.mode).toBe('demo');
    const ready = (await (await fetch(`${server.url}/ready`)).json()) as { mode: string };
    expect(ready.mode).toBe('demo');
    const answeredBy: string[] = [];
    for (let index = 0; index < 8; index++) {
      const response = await chat(server, { model: 'demo' });
      expect(response.status).toBe(200);
      answeredBy.push(response.headers.get('x-429chain-provider') ?? '');
      await response.arrayBuffer();
    }
    // groq-sim allows 6 a minute; the next ones fall through to cerebras-sim.
    expect(answeredBy.slice(0, 6).every((provider) => provider === 'groq-sim')).toBe(true);
    expect(answeredBy.slice(6).every((provider) => provider === 'cerebras-sim')).toBe(true);
    const status = await server.chain.status();
    expect(status.entries.find((entry) => entry.provider === 'groq-sim')?.state).toBe('exhausted');
  });

  it('refuses to listen on a non-loopback host without client keys', async () => {
    const root = temporaryDirectory();
    await expect(
      start({
        searchDirectory: root,
        dbPath: join(root, 'state.db'),
        env: {},
        host: '0.0.0.0',
        demoTraffic: false,
      }),
    ).rejects.toThrow(/settings\.apiKeys/);
  });

  it('keeps rate-limit state across a restart (same database file)', async () => {
    const root = temporaryDirectory();
    const path = join(root, '429chain.yaml');
    writeFileSync(
      path,
      `providers:
  - { id: first, type: generic, baseUrl: "${mock.url}" }
  - { id: second, type: generic, baseUrl: "${mock.url}" }
chains:
  - name: main
    entries: [{ provider: first, model: cooled }, { provider: second, model: steady }]
`,
    );
    mock.script('cooled', [errorReply(429, { error: { message: 'slow down' } }, { 'retry-after': '600' })]);
    const dbPath = join(root, 'state.db');
    const first = await start({ searchDirectory: root, dbPath });
    await (await chat(first, { model: 'main' })).arrayBuffer();
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const second = await start({ searchDirectory: root, dbPath });
    const response = await chat(second, { model: 'main' });
    expect(response.headers.get('x-429chain-trail')).toBe('first/cooled=skip(cooldown), second/steady=200');
    expect(mock.requestsFor('cooled')).toHaveLength(1);
  });
});

describe('SIGTERM', () => {
  const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url));

  function spawnServer(environment: Record<string, string>): Promise<{ process: ChildProcess; url: string }> {
    const child = spawn(process.execPath, ['--conditions=@429chain/source', mainPath], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const onData = (data: Buffer) => {
        output += data.toString();
        const match = /proxy:\s+(http:\/\/[^\s]+)\/v1/.exec(output);
        if (match) {
          child.stdout?.off('data', onData);
          resolve({ process: child, url: match[1]! });
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (data: Buffer) => {
        output += data.toString();
      });
      child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output}`)));
    });
  }

  it('lets requests in flight finish, flushes every request to the log, and exits 0', async () => {
    const root = temporaryDirectory();
    const configPath = join(root, '429chain.yaml');
    const dbPath = join(root, 'data', 'log.db');
    writeFileSync(
      configPath,
      `providers:
  - { id: slow, type: generic, baseUrl: "${mock.url}" }
chains:
  - { name: main, entries: [{ provider: slow, model: slow-json }] }
  - { name: streaming, entries: [{ provider: slow, model: slow-stream }] }
`,
    );
    mock.script('slow-json', [completionReply({ model: 'slow-json', text: 'finished', delayMs: 800 })]);
    mock.script('slow-stream', [
      streamReply({ model: 'slow-stream', tokens: ['a', 'b', 'c', 'd'], intervalMs: 250 }),
    ]);
    const { process: child, url } = await spawnServer({
      CHAIN429_CONFIG: configPath,
      CHAIN429_DB: dbPath,
      PORT: '0',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const send = (model: string, stream: boolean) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
      }).then(async (response) => ({ status: response.status, text: await response.text() }));
    const pending = [
      ...Array.from({ length: 6 }, () => send('main', false)),
      ...Array.from({ length: 4 }, () => send('streaming', true)),
    ];
    while (mock.requests.length < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');

    const answers = await Promise.all(pending);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    for (const answer of answers.slice(0, 6)) expect(answer.text).toContain('finished');
    for (const answer of answers.slice(6)) expect(answer.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await exited).toBe(0);
    await expect(send('main', false)).rejects.toThrow();

    const database = new DatabaseSync(dbPath, { readOnly: true });
    try {
      const rows = database.prepare('SELECT chain, outcome, status FROM requests').all();
      expect(rows).toHaveLength(10);
      expect(rows.every((row) => row.outcome === 'answered' && row.status === 200)).toBe(true);
      const attempts = database.prepare('SELECT COUNT(*) AS count FROM attempts').get() as { count: number };
      expect(attempts.count).toBe(10);
    } finally {
      database.close();
    }
  });
});
