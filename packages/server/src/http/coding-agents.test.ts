import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorReply, type MockProvider } from '@429chain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationReply } from '../testing/conversation-upstream.ts';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
  temporaryDirectory,
  testClientKey,
} from '../testing/start-test-server.ts';

/**
 * The coding agents themselves, as processes, against the proxy: Claude Code (`claude -p`, which
 * speaks only Anthropic Messages, always streaming) and Codex CLI (`codex exec`, only the
 * Responses API). The upstream is a loopback mock that speaks only Chat Completions; the chain's
 * first entry answers 429, so the agents' requests arrive by failover. Nothing leaves loopback:
 * nonessential traffic, updates, analytics and plugins are off, with throwaway homes.
 */

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin');
let mock: MockProvider;
let server: TestServer;
let work: string;
const secret = 'PINEAPPLE-7731';

beforeAll(async () => {
  work = await temporaryDirectory('429chain-agents-');
  await writeFile(join(work, 'secret.txt'), `The secret word is ${secret}.\n`);
  mock = await startTestMock({
    fallback: (request) =>
      conversationReply(request, {
        preferTools: ['Read', 'exec_command', 'shell'],
        toolArguments: (name) =>
          name === 'Read' ? { file_path: join(work, 'secret.txt') } : { cmd: 'cat secret.txt' },
      }),
  });
  mock.script('first-model', [
    errorReply(
      429,
      { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } },
      { 'retry-after': '30' },
    ),
  ]);
  server = await startTestServer({
    config: {
      providers: [mockProviderConfig('first', mock), mockProviderConfig('second', mock)],
      chains: [
        {
          name: 'main',
          entries: [
            { provider: 'first', model: 'first-model' },
            { provider: 'second', model: 'second-model' },
          ],
        },
      ],
      settings: {
        defaultChain: 'main',
        apiKeys: [testClientKey],
        modelAliases: { 'claude-*': 'main', 'gpt-*': 'main' },
      },
    },
  });
});

afterAll(closeTestResources);

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      join(bin, command),
      args,
      { cwd: work, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 90_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('coding agents through the proxy', () => {
  it('Claude Code completes a prompt that needs one tool call (Read), served over Chat Completions', async () => {
    const home = await temporaryDirectory('429chain-claude-home-');
    const before = mock.requestsFor('second-model').length;
    const result = await run(
      'claude',
      [
        '-p',
        'Read secret.txt and tell me the secret word.',
        '--model',
        'claude-sonnet-4-5',
        '--allowedTools',
        'Read',
      ],
      {
        HOME: home,
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_API_KEY: testClientKey,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
      },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain(`The tool said:`);
    expect(result.stdout).toContain(secret);
    // One tool round trip is two requests; the first also tried the 429ing entry.
    const served = mock.requestsFor('second-model').slice(before);
    expect(served).toHaveLength(2);
    expect(served[0]!.body!.stream).toBe(true);
    const lastMessages = served[1]!.body!.messages as Array<Record<string, unknown>>;
    expect(lastMessages.at(-1)).toMatchObject({ role: 'tool' });
    expect(String(lastMessages.at(-1)!.content)).toContain(secret);
    expect(mock.requestsFor('first-model').length).toBeGreaterThanOrEqual(1);
  });

  it('Codex CLI completes a prompt that runs one command, over the Responses API', async () => {
    const codexHome = await temporaryDirectory('429chain-codex-home-');
    await mkdir(codexHome, { recursive: true });
    const before = mock.requestsFor('second-model').length;
    const result = await run(
      'codex',
      [
        'exec',
        '--skip-git-repo-check',
        '--disable',
        'plugins',
        '-c',
        'analytics.enabled=false',
        '-c',
        'check_for_update_on_startup=false',
        '-c',
        'model_provider=chain',
        '-c',
        'model_providers.chain.name=429chain',
        '-c',
        `model_providers.chain.base_url=${server.url}/v1`,
        '-c',
        'model_providers.chain.wire_api=responses',
        '-c',
        'model_providers.chain.env_key=CHAIN429_KEY',
        '-m',
        'gpt-4.1',
        'Show me what secret.txt says.',
      ],
      { HOME: codexHome, CODEX_HOME: codexHome, CHAIN429_KEY: testClientKey },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain('The tool said:');
    expect(result.stdout).toContain(secret);
    // The command's output went back as a function_call_output: a tool result upstream.
    const served = mock.requestsFor('second-model').slice(before);
    expect(served).toHaveLength(2);
    expect(served[0]!.body!.stream).toBe(true);
    const lastMessages = served[1]!.body!.messages as Array<Record<string, unknown>>;
    expect(lastMessages.at(-1)).toMatchObject({ role: 'tool' });
    expect(String(lastMessages.at(-1)!.content)).toContain(secret);
  });
});
