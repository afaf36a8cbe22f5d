import {
  completionReply,
  errorReply,
  type MockProvider,
  startMockProvider,
  streamReply,
} from '@429chain/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../testing/run-cli.ts';
import { mockChainConfig, secretKey, writeConfig } from '../testing/write-config.ts';

const rateLimited = errorReply(
  429,
  { error: { message: 'Rate limit reached for requests per minute.', type: 'rate_limit_exceeded' } },
  { 'retry-after': '30' },
);

let mock: MockProvider;
let directory: ReturnType<typeof temporaryDirectory>;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  directory = temporaryDirectory();
  writeConfig(directory.path, mockChainConfig({ baseUrl: mock.url, models: ['model-a', 'model-b'] }));
});
afterEach(() => {
  mock.reset();
  directory.remove();
});

describe('429chain test <chain> [prompt]', () => {
  it('shows the failed attempt, then the answered one, then the answer, and exits 0', async () => {
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [completionReply({ model: 'model-b', text: 'Hello from B.' })]);
    const run = await runCli(['test', 'default', 'hi'], { cwd: directory.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const failed = lines.findIndex((line) => /p1\/model-a .* failed .*429/.test(line));
    const answered = lines.findIndex((line) => /p2\/model-b .* answered .*200/.test(line));
    const answer = lines.indexOf('Hello from B.');
    expect(failed).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(failed);
    expect(answer).toBeGreaterThan(answered);
    expect(run.stdout).toContain('answered by p2/model-b');
    expect(mock.requestsFor('model-b')[0]?.body?.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(run.stdout + run.stderr).not.toContain(secretKey);
  });

  it('exits 1 with the trail and the reason when every entry fails', async () => {
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [rateLimited]);
    const run = await runCli(['test', 'default', 'hi'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('not answered (429)');
    expect(run.stdout).toMatch(/p1\/model-a .* failed/);
    expect(run.stdout).toMatch(/p2\/model-b .* failed/);
    expect(run.stderr).toMatch(/^error: /);
    expect(run.stdout + run.stderr).not.toContain(secretKey);
  });

  it('streams the answer with --stream, then shows the trail', async () => {
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [streamReply({ model: 'model-b', tokens: ['Streamed', ' hello', ' world.'] })]);
    const run = await runCli(['test', 'default', 'hi', '--stream'], { cwd: directory.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('Streamed hello world.\n')).toBe(true);
    expect(run.stdout).toMatch(/p2\/model-b .* answered/);
    expect(mock.requestsFor('model-b')[0]?.body?.stream).toBe(true);
  });

  it('exits 1 when a stream breaks and nothing can continue it', async () => {
    mock.script('model-a', [
      streamReply({
        model: 'model-a',
        tokens: ['Half', ' an'],
        intervalMs: 200,
        finish: false,
        after: 'cut',
      }),
    ]);
    mock.script('model-b', [rateLimited]);
    const run = await runCli(['test', 'default', 'hi', '--stream'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stdout.startsWith('Half an\n')).toBe(true);
    expect(run.stderr).toMatch(/^error: /);
  });

  it('prints the request record and the answer with --json', async () => {
    mock.script('model-a', [rateLimited]);
    mock.script('model-b', [completionReply({ model: 'model-b', text: 'JSON hello.' })]);
    const run = await runCli(['test', 'default', 'hi', '--json'], { cwd: directory.path });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      answered: boolean;
      answer: string;
      record: { chain: string; attempts: Array<{ provider: string; outcome: string; status?: number }> };
    };
    expect(result.answered).toBe(true);
    expect(result.answer).toBe('JSON hello.');
    expect(result.record.chain).toBe('default');
    expect(
      result.record.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.status]),
    ).toEqual([
      ['p1', 'failed', 429],
      ['p2', 'answered', 200],
    ]);
    expect(run.stdout).not.toContain(secretKey);
  });

  it('exits 1 naming the chains there are when the chain is unknown', async () => {
    const run = await runCli(['test', 'nope', 'hi'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('error: unknown chain "nope" (chains: default)');
    expect(mock.requests).toHaveLength(0);
  });

  it('exits 1 with the config problem when the config is invalid', async () => {
    writeConfig(
      directory.path,
      mockChainConfig({ baseUrl: mock.url, models: ['m'] }).replace('provider: p1', 'provider: p9'),
    );
    const run = await runCli(['test', 'default', 'hi'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Invalid config in 429chain.yaml:\n');
    expect(run.stderr).toContain('  - chains[0].entries[0].provider: unknown provider "p9"');
  });
});
