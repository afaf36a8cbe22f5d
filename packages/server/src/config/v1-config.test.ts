import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Chain, type ChainConfig, ConfigError, createChain, pickEngineConfig } from '@429chain/core';
import { completionReply, errorReply, type MockProvider, startMockProvider } from '@429chain/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, parse as parseYaml } from 'yaml';
import { type RunningServer, startServer } from '../start-server.ts';
import { parseServerConfig, type ServerConfig, type ServerConfigInput } from './server-config-schema.ts';

/**
 * The original 429chain v1 `config.yaml` is accepted unchanged: every v1 key, every
 * v1 provider type, and the v1 way of writing a chain. The file is the server's: it is
 * validated with the server's schema (which knows the v1 server keys: port, apiKeys,
 * logLevel, dbPath), and the engine gets its part (`pickEngineConfig`).
 */

/** A config file exactly as a 429chain v1 user wrote it, comments and quoting included. */
const v1ConfigYaml = `# 429chain configuration
# Requests waterfall through chain entries on 429/rate-limit errors.
version: 1

settings:
  port: 3429
  apiKeys:
    - "my-proxy-client-key"      # API key(s) that clients use to access this proxy
  defaultChain: "default"
  logLevel: info                 # trace | debug | info | warn | error | fatal
  cooldownDefaultMs: 60000       # Default cooldown on 429 when no retry-after header (ms)
  requestTimeoutMs: 30000        # Global default timeout for upstream requests (ms)
  streamIdleTimeoutMs: 30000
  dbPath: "./data/observability.db"
  normalizeResponses: false      # Move reasoning_content to content for reasoning models
  midStreamFailureThreshold: 3
  midStreamCooldownMs: 120000
  midStreamCooldownMaxMs: 1800000
  queueMode: false
  queueMaxWaitMs: 300000
  queueMaxSize: 100

providers:
  # --- Free-tier providers ---
  - id: openrouter
    name: OpenRouter
    type: openrouter
    apiKey: "sk-or-v1-test-openrouter-key"
    # baseUrl: "https://openrouter.ai/api/v1"  # default

  - id: groq
    name: Groq
    type: groq
    apiKey: "gsk_test_groq_key_0000"
    timeout: 10000
    rateLimits:                  # Manual fallback when provider headers are unavailable
      requestsPerMinute: 30
      tokensPerMinute: 15000
      requestsPerDay: 14400

  - id: cerebras
    name: Cerebras
    type: cerebras
    apiKey: "csk-test-cerebras-key"
    timeout: 15000
    rateLimits:
      concurrentRequests: 2

  - id: gemini
    name: Google AI Studio
    type: google-ai
    apiKey: "AIzaSy-test-google-key"
    rateLimits:
      requestsPerMinute: 15
      requestsPerDay: 1500

  # --- Paid providers (fallback) ---
  - id: openai
    name: OpenAI
    type: openai
    apiKey: "sk-test-openai-key"

  - id: moonshot
    name: Moonshot
    type: generic-openai          # Any OpenAI-compatible API works with generic-openai
    apiKey: "sk-test-moonshot-key"
    baseUrl: "https://api.moonshot.ai/v1"
    timeout: 20000

chains:
  # General-purpose chain: free tiers first, paid fallback last
  - name: default
    entries:
      - provider: openrouter
        model: "meta-llama/llama-3.1-8b-instruct:free"
      - provider: groq
        model: "llama-3.1-8b-instant"
      - provider: cerebras
        model: "llama-3.1-8b"
      - provider: gemini
        model: "gemini-2.0-flash"
      - provider: openai        # paid fallback
        model: "gpt-4o-mini"
      - provider: moonshot       # paid fallback
        model: "kimi-k2-0711-preview"

  # Speed-optimized chain: fastest inference providers only
  - name: fast
    entries:
      - provider: groq
        model: "llama-3.1-8b-instant"
      - provider: cerebras
        model: "llama-3.1-8b"
`;

/** Each provider's key in the file above, as the upstream must receive it. */
const keysByProvider: Record<string, string> = {
  openrouter: 'sk-or-v1-test-openrouter-key',
  groq: 'gsk_test_groq_key_0000',
  cerebras: 'csk-test-cerebras-key',
  gemini: 'AIzaSy-test-google-key',
  openai: 'sk-test-openai-key',
  moonshot: 'sk-test-moonshot-key',
};

function loadV1(): ServerConfigInput {
  return parseYaml(v1ConfigYaml) as ServerConfigInput;
}

/** The engine's part of a config file, as the server hands it to createChain(). */
function engineOf(input: ServerConfigInput): ChainConfig {
  return pickEngineConfig(parseServerConfig(input));
}

/** The v1 config with every provider pointed at the mock (nothing else changed). */
function pointedAt(url: string): ServerConfigInput {
  const config = loadV1();
  return { ...config, providers: config.providers.map((provider) => ({ ...provider, baseUrl: url })) };
}

/** The v1 file's text with every provider pointed at the mock, comments and all. */
function v1FilePointedAt(url: string): string {
  const document = parseDocument(v1ConfigYaml);
  const count = (document.toJS() as { providers: unknown[] }).providers.length;
  for (let index = 0; index < count; index++) document.setIn(['providers', index, 'baseUrl'], url);
  return document.toString();
}

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

let mock: MockProvider;
const chains: Chain[] = [];
const servers: RunningServer[] = [];
const directories: string[] = [];

function track(chain: Chain): Chain {
  chains.push(chain);
  return chain;
}

beforeAll(async () => {
  mock = await startMockProvider();
});

afterEach(async () => {
  await Promise.all(chains.splice(0).map((chain) => chain.close()));
  for (const server of servers.splice(0)) await server.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
  mock.reset();
});

afterAll(async () => {
  await mock.close();
});

describe('the original 429chain v1 config.yaml', () => {
  it('parses unchanged and keeps every value as written', () => {
    const config: ServerConfig = parseServerConfig(loadV1(), { source: 'config.yaml' });

    expect(config.version).toBe(1);
    expect(config.settings).toEqual({
      port: 3429,
      apiKeys: ['my-proxy-client-key'],
      defaultChain: 'default',
      logLevel: 'info',
      cooldownDefaultMs: 60000,
      requestTimeoutMs: 30000,
      streamIdleTimeoutMs: 30000,
      dbPath: './data/observability.db',
      normalizeResponses: false,
      midStreamFailureThreshold: 3,
      midStreamCooldownMs: 120000,
      midStreamCooldownMaxMs: 1800000,
      queueMode: false,
      queueMaxWaitMs: 300000,
      queueMaxSize: 100,
    });
    expect(config.providers.map((provider) => [provider.id, provider.type])).toEqual([
      ['openrouter', 'openrouter'],
      ['groq', 'groq'],
      ['cerebras', 'cerebras'],
      ['gemini', 'google-ai'],
      ['openai', 'openai'],
      ['moonshot', 'generic-openai'],
    ]);
    expect(config.providers[1]).toEqual({
      id: 'groq',
      name: 'Groq',
      type: 'groq',
      apiKey: 'gsk_test_groq_key_0000',
      timeout: 10000,
      rateLimits: { requestsPerMinute: 30, tokensPerMinute: 15000, requestsPerDay: 14400 },
    });
    expect(config.providers[5]?.baseUrl).toBe('https://api.moonshot.ai/v1');
    expect(config.chains.map((chain) => [chain.name, chain.entries.length])).toEqual([
      ['default', 6],
      ['fast', 2],
    ]);
    expect(config.chains[0]?.entries[0]).toEqual({
      provider: 'openrouter',
      model: 'meta-llama/llama-3.1-8b-instruct:free',
    });
  });

  it('hands the engine its part, which createChain serves as chains and entries', async () => {
    const chain = track(createChain(engineOf(loadV1())));

    expect(chain.config()).toEqual(engineOf(loadV1()));
    expect(Object.keys(chain.config().settings ?? {})).not.toContain('port');
    const response = await chain.fetch('http://429chain.local/v1/models');
    const list = (await response.json()) as { data: Array<{ id: string }> };
    expect(list.data.map((model) => model.id)).toEqual([
      'default',
      'fast',
      'openrouter/meta-llama/llama-3.1-8b-instruct:free',
      'groq/llama-3.1-8b-instant',
      'cerebras/llama-3.1-8b',
      'gemini/gemini-2.0-flash',
      'openai/gpt-4o-mini',
      'moonshot/kimi-k2-0711-preview',
    ]);
    const status = await chain.status();
    expect(status.entries.map((entry) => `${entry.chain}:${entry.provider}/${entry.model}`)).toEqual([
      'default:openrouter/meta-llama/llama-3.1-8b-instruct:free',
      'default:groq/llama-3.1-8b-instant',
      'default:cerebras/llama-3.1-8b',
      'default:gemini/gemini-2.0-flash',
      'default:openai/gpt-4o-mini',
      'default:moonshot/kimi-k2-0711-preview',
      'fast:groq/llama-3.1-8b-instant',
      'fast:cerebras/llama-3.1-8b',
    ]);
    expect(status.entries.every((entry) => entry.state === 'available')).toBe(true);
  });

  it('routes a request for its default chain to the first entry with that provider key', async () => {
    const chain = track(createChain(engineOf(pointedAt(mock.url))));

    const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-chain')).toBe('default');
    expect(response.headers.get('x-429chain-provider')).toBe('openrouter');
    const body = (await response.json()) as { model: string };
    expect(body.model).toBe('meta-llama/llama-3.1-8b-instruct:free');
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'meta-llama/llama-3.1-8b-instruct:free',
    });
    expect(mock.requests[0]?.headers.authorization).toBe(`Bearer ${keysByProvider.openrouter}`);
  });

  it('sends an unknown model to settings.defaultChain, as v1 did', async () => {
    const chain = track(createChain(engineOf(pointedAt(mock.url))));

    const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-chain')).toBe('default');
    expect(mock.requests[0]?.model).toBe('meta-llama/llama-3.1-8b-instruct:free');
  });

  it('fails over down the v1 chain on 429s', async () => {
    const chain = track(createChain(engineOf(pointedAt(mock.url))));
    const limited = errorReply(
      429,
      { error: { message: 'Rate limit exceeded', code: 429 } },
      { 'retry-after': '60' },
    );
    mock.script('meta-llama/llama-3.1-8b-instruct:free', [limited]);
    mock.script('llama-3.1-8b-instant', [limited]);
    mock.script('llama-3.1-8b', [completionReply({ model: 'llama-3.1-8b', text: 'from cerebras' })]);

    const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('cerebras');
    expect(response.headers.get('x-429chain-attempts')).toBe('3');
    expect(mock.requests.map((request) => request.model)).toEqual([
      'meta-llama/llama-3.1-8b-instruct:free',
      'llama-3.1-8b-instant',
      'llama-3.1-8b',
    ]);
  });

  it.for(
    Object.entries({
      openrouter: 'meta-llama/llama-3.1-8b-instruct:free',
      groq: 'llama-3.1-8b-instant',
      cerebras: 'llama-3.1-8b',
      gemini: 'gemini-2.0-flash',
      openai: 'gpt-4o-mini',
      moonshot: 'kimi-k2-0711-preview',
    }),
  )('routes the %s entry (each v1 provider type) to its upstream with its key', async ([provider, model]) => {
    const chain = track(createChain(engineOf(pointedAt(mock.url))));

    const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: `${provider}/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe(provider);
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]?.model).toBe(model);
    expect(mock.requests[0]?.path).toBe('/v1/chat/completions');
    expect(mock.requests[0]?.headers.authorization).toBe(`Bearer ${keysByProvider[provider]}`);
  });

  it('still refuses a v1 file with a mistake, naming the path', () => {
    const broken = v1ConfigYaml.replace(
      '  - name: fast\n    entries:\n      - provider: groq',
      '  - name: fast\n    entries:\n      - provider: grok',
    );

    const error = captureError(() => parseServerConfig(parseYaml(broken), { source: 'config.yaml' }));

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'chains[1].entries[0].provider', message: expect.stringContaining('unknown provider "grok"') },
    ]);
    expect((error as ConfigError).message).toContain('Invalid config in config.yaml');
  });
});

describe('our additions to the v1 format', () => {
  const additionsYaml = `${v1ConfigYaml}
  - name: careful
    entries:
      - provider: pool
        model: "llama-3.3-70b-versatile"
        capabilities:
          contextWindow: 131072
          tools: true
          vision: false
          jsonMode: true
          prefill: true
        rateLimits:
          requestsPerMinute: 10
          tokensPerDay: 500000
      - provider: gemini
        model: "gemini-2.0-flash"
`
    .replace(
      '  queueMaxSize: 100\n',
      '  queueMaxSize: 100\n  firstTokenTimeoutMs: 8000\n  requestBudgetMs: 45000\n  retryWaitMs: 2000\n',
    )
    .replace(
      'providers:\n',
      `providers:
  - id: pool
    type: groq
    apiKeys:
      - "gsk_pool_key_one_0001"
      - "gsk_pool_key_two_0002"
    rateLimits:
      tokensPerDay: 500000
      requestsPerDay: 1000
      scope: key
`,
    );

  it('parses firstTokenTimeoutMs, tokensPerDay, apiKeys arrays and entry capabilities', () => {
    const config = parseServerConfig(parseYaml(additionsYaml));

    expect(config.settings?.firstTokenTimeoutMs).toBe(8000);
    expect(config.settings?.requestBudgetMs).toBe(45000);
    expect(config.settings?.retryWaitMs).toBe(2000);
    expect(config.providers[0]).toEqual({
      id: 'pool',
      type: 'groq',
      apiKeys: ['gsk_pool_key_one_0001', 'gsk_pool_key_two_0002'],
      rateLimits: { tokensPerDay: 500000, requestsPerDay: 1000, scope: 'key' },
    });
    const careful = config.chains.find((chain) => chain.name === 'careful');
    expect(careful?.entries[0]).toEqual({
      provider: 'pool',
      model: 'llama-3.3-70b-versatile',
      capabilities: { contextWindow: 131072, tools: true, vision: false, jsonMode: true, prefill: true },
      rateLimits: { requestsPerMinute: 10, tokensPerDay: 500000 },
    });
  });

  it('creates a chain from them that spreads requests over the pool keys', async () => {
    const config = parseYaml(additionsYaml) as ServerConfigInput;
    const chain = track(
      createChain(
        engineOf({
          ...config,
          providers: config.providers.map((provider) => ({ ...provider, baseUrl: mock.url })),
        }),
      ),
    );

    for (let round = 0; round < 2; round++) {
      const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: 'careful', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-429chain-provider')).toBe('pool');
      await response.body?.cancel();
    }

    const keys = mock.requests.map((request) => request.headers.authorization);
    expect(new Set(keys)).toEqual(new Set(['Bearer gsk_pool_key_one_0001', 'Bearer gsk_pool_key_two_0002']));
  });
});

describe('the v1 config.yaml through the proxy', () => {
  function chat(server: RunningServer, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
  }

  it('runs the original v1 config.yaml unchanged, with its client keys and default chain', async () => {
    const root = await mkdtemp(join(tmpdir(), '429chain-v1-'));
    directories.push(root);
    const path = join(root, 'config.yaml');
    await writeFile(path, v1FilePointedAt(mock.url));
    mock.script('meta-llama/llama-3.1-8b-instruct:free', [
      errorReply(429, { error: { code: 429, message: 'Rate limit exceeded: free-models-per-day' } }),
    ]);
    const server = await startServer({
      port: 0,
      searchDirectory: root,
      dbPath: join(root, 'data', 'test.db'),
    });
    servers.push(server);
    expect(server.mode).toBe('file');
    expect(server.configFile.path).toBe(path);

    expect((await chat(server, { model: 'default' })).status).toBe(401);
    const response = await chat(
      server,
      { model: 'default' },
      { authorization: 'Bearer my-proxy-client-key' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-429chain-provider')).toBe('groq');
    expect(response.headers.get('x-429chain-trail')).toBe(
      'openrouter/meta-llama/llama-3.1-8b-instruct:free=429, groq/llama-3.1-8b-instant=200',
    );
    const viaDefault = await chat(server, { model: 'gpt-4o' }, { 'x-api-key': 'my-proxy-client-key' });
    expect(viaDefault.headers.get('x-429chain-chain')).toBe('default');
    const fast = await chat(server, { model: 'fast' }, { 'x-api-key': 'my-proxy-client-key' });
    expect(fast.headers.get('x-429chain-provider')).toBe('groq');
  });
});
