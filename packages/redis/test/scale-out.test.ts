/**
 * Scale-out with real processes on 127.0.0.1: proxy replicas (packages/server/src/main.ts)
 * sharing one throwaway redis-server through REDIS_URL, in front of one loopback mock
 * provider. What one replica learns, the others act on; a Redis outage neither hangs
 * nor fails requests under `allow`, refuses them cleanly under `deny`, and ends with
 * every replica on Redis again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  completionReply,
  errorReply,
  type MockProvider,
  type MockReply,
  startMockProvider,
} from '@429chain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Replica, spawnReplica } from './spawn-replica.ts';
import { type RedisServerProcess, startRedisServer } from './start-redis-server.ts';

let mock: MockProvider;
/** A provider that counts its own window per model and refuses past it (see {@link windowReply}). */
let windowed: MockProvider;
let directory: string;
const replicas: Replica[] = [];
const redisServers: RedisServerProcess[] = [];

/** Rounds of the stale-header test: each on its own model, so its own window on both replicas. */
const windowRounds = 20;
/** Per model: requests the provider still takes in its window, and the 429s it gave. */
const windows = new Map<string, { left: number; refused: number }>();

/**
 * Like a real provider: each model has 6 requests left in its window (30 per minute), every
 * answer says what is left after it, and one past the window gets a 429. Answers are delayed at
 * random, so they come back in another order than they reached upstream: an older answer with
 * more left often settles last.
 */
function windowReply(model: string): MockReply {
  const window = windows.get(model) ?? { left: 6, refused: 0 };
  windows.set(model, window);
  if (window.left === 0) {
    window.refused += 1;
    return errorReply(
      429,
      {
        error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      },
      { 'retry-after': '60', 'x-ratelimit-limit-requests': '30', 'x-ratelimit-remaining-requests': '0' },
    );
  }
  window.left -= 1;
  return completionReply({
    delayMs: Math.floor(Math.random() * 40),
    headers: {
      'x-ratelimit-limit-requests': '30',
      'x-ratelimit-remaining-requests': String(window.left),
      'x-ratelimit-reset-requests': '60s',
    },
  });
}

beforeAll(async () => {
  mock = await startMockProvider();
  windowed = await startMockProvider({ fallback: (request) => windowReply(request.model ?? '') });
  directory = mkdtempSync(join(tmpdir(), '429chain-scale-out-'));
});
afterAll(async () => {
  await Promise.all(replicas.splice(0).map((replica) => replica.stop()));
  await Promise.all(redisServers.splice(0).map((server) => server.close()));
  await mock?.close();
  await windowed?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** A chain of one entry under test, then a backup entry of its own (so each test counts its own calls). */
function chainOf(name: string, entry: Record<string, unknown>) {
  return { name, entries: [entry, { provider: 'backup', model: `backup-${name}` }] };
}

/** Writes the replicas' config file (JSON) and returns its path. */
function writeConfig(file: string, settings: Record<string, unknown> = {}): string {
  const provider = (id: string) => ({
    id,
    type: 'generic',
    baseUrl: mock.url,
    apiKey: `test-key-${id}-000000001`,
  });
  const config = {
    settings: { requestTimeoutMs: 5_000, requestBudgetMs: 10_000, ...settings },
    providers: [
      ...['limited', 'learned', 'cool', 'outage', 'after', 'backup'].map(provider),
      { ...provider('windowed'), baseUrl: windowed.url },
    ],
    chains: [
      ...Array.from({ length: windowRounds }, (_, round) =>
        chainOf(`windowed-${round}`, { provider: 'windowed', model: `windowed-model-${round}` }),
      ),
      chainOf('manual', {
        provider: 'limited',
        model: 'limited-model',
        rateLimits: { requestsPerMinute: 5 },
      }),
      chainOf('learned', { provider: 'learned', model: 'learned-model' }),
      chainOf('cooled', { provider: 'cool', model: 'cool-model' }),
      chainOf('outage', { provider: 'outage', model: 'outage-model' }),
      chainOf('after', { provider: 'after', model: 'after-model' }),
    ],
  };
  const path = join(directory, file);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

let replicaCount = 0;
async function startReplica(redis: RedisServerProcess, configPath: string): Promise<Replica> {
  replicaCount += 1;
  const replica = await spawnReplica({
    CHAIN429_CONFIG: configPath,
    CHAIN429_DB: join(directory, `replica-${replicaCount}`, '429chain.db'),
    CHAIN429_ADMIN_KEYS: 'test-admin-key-0001',
    REDIS_URL: redis.url,
  });
  replicas.push(replica);
  return replica;
}

interface Answer {
  status: number;
  provider: string | null;
  body: { error?: { code?: string; type?: string } };
  elapsedMs: number;
}

async function chat(replica: Replica, chain: string): Promise<Answer> {
  const began = Date.now();
  const response = await fetch(`${replica.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: chain, messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as Answer['body'];
  return {
    status: response.status,
    provider: response.headers.get('x-429chain-provider'),
    body,
    elapsedMs: Date.now() - began,
  };
}

async function ready(replica: Replica): Promise<{ status: number; store: string }> {
  const response = await fetch(`${replica.url}/ready`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { store: string };
  return { status: response.status, store: body.store };
}

async function metric(replica: Replica, name: string): Promise<string | undefined> {
  const text = await (await fetch(`${replica.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return text.split('\n').find((line) => line.startsWith(`${name}{store="redis"}`));
}

const rateLimited429 = errorReply(
  429,
  { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
  { 'retry-after': '60' },
);

describe('two replicas sharing one redis-server', () => {
  let pair: [Replica, Replica];
  let redis: RedisServerProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    redisServers.push(redis);
    const configPath = writeConfig('shared.json');
    pair = [await startReplica(redis, configPath), await startReplica(redis, configPath)];
  });

  it('report the redis store as up in /ready and /metrics', async () => {
    for (const replica of pair) {
      expect(await ready(replica)).toEqual({ status: 200, store: 'redis' });
      expect(await metric(replica, 'chain429_store_up')).toBe('chain429_store_up{store="redis"} 1');
      expect(await metric(replica, 'chain429_store_fallback')).toBe(
        'chain429_store_fallback{store="redis"} 0',
      );
    }
  });

  it('send exactly 5 of 30 concurrent requests to an entry with requestsPerMinute: 5, the rest to the next entry, and no 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => chat(pair[index % 2]!, 'manual')),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    expect(mock.requestsFor('limited-model')).toHaveLength(5);
    expect(mock.requestsFor('backup-manual')).toHaveLength(25);
    expect(answers.filter((answer) => answer.provider === 'limited')).toHaveLength(5);
  });

  it('send exactly the 5 requests left that a warm-up response’s headers announced, across both replicas', async () => {
    mock.script('learned-model', [
      completionReply({
        headers: {
          'x-ratelimit-limit-requests': '30',
          'x-ratelimit-remaining-requests': '5',
          'x-ratelimit-reset-requests': '60s',
        },
      }),
      completionReply({}),
    ]);
    expect((await chat(pair[0], 'learned')).provider).toBe('learned');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => chat(pair[(index + 1) % 2]!, 'learned')),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    expect(mock.requestsFor('learned-model')).toHaveLength(1 + 5);
    expect(mock.requestsFor('backup-learned')).toHaveLength(25);
  });

  it('send exactly the 5 requests left of 30 concurrent ones and no 429, with answers settling out of order, 20 times over', async () => {
    for (let round = 0; round < windowRounds; round++) {
      const chain = `windowed-${round}`;
      const model = `windowed-model-${round}`;
      // One answer tells the replicas that 5 are left in this window.
      expect(await chat(pair[round % 2]!, chain)).toMatchObject({ status: 200, provider: 'windowed' });
      const burst = await Promise.all(
        Array.from({ length: 30 }, (_, index) => chat(pair[(index + round) % 2]!, chain)),
      );
      // Once every answer has settled, however late the one with the most left came back,
      // nothing is left: more requests go to the next entry without calling this one.
      const after = await Promise.all(Array.from({ length: 6 }, (_, index) => chat(pair[index % 2]!, chain)));
      expect([...burst, ...after].map((answer) => answer.status)).toEqual(Array(36).fill(200));
      expect({
        round,
        upstream: windowed.requestsFor(model).length,
        refused: windows.get(model)?.refused,
      }).toEqual({
        round,
        upstream: 1 + 5,
        refused: 0,
      });
      expect(burst.filter((answer) => answer.provider === 'windowed')).toHaveLength(5);
      expect(after.filter((answer) => answer.provider === 'windowed')).toHaveLength(0);
    }
  });

  it('skip an entry on one replica without calling it after the other received its 429, and so does a replica started later', async () => {
    mock.script('cool-model', [rateLimited429]);
    const first = await chat(pair[0], 'cooled');
    expect(first).toMatchObject({ status: 200, provider: 'backup' });
    expect(mock.requestsFor('cool-model')).toHaveLength(1);

    const second = await chat(pair[1], 'cooled');
    expect(second).toMatchObject({ status: 200, provider: 'backup' });
    expect(mock.requestsFor('cool-model')).toHaveLength(1);

    const later = await startReplica(redis, writeConfig('later.json'));
    const third = await chat(later, 'cooled');
    expect(third).toMatchObject({ status: 200, provider: 'backup' });
    expect(mock.requestsFor('cool-model')).toHaveLength(1);
    await later.stop();
  });
});

describe('a redis-server that stops in the middle of a run', () => {
  let redis: RedisServerProcess;
  let allowing: [Replica, Replica];
  let denying: Replica;

  beforeAll(async () => {
    redis = await startRedisServer();
    redisServers.push(redis);
    const allowConfig = writeConfig('allow.json');
    const denyConfig = writeConfig('deny.json', { onStoreError: 'deny' });
    allowing = [await startReplica(redis, allowConfig), await startReplica(redis, allowConfig)];
    denying = await startReplica(redis, denyConfig);
  });

  it('keeps serving under allow, refuses cleanly under deny, never hangs, and returns to redis once it is back', async () => {
    for (const replica of [...allowing, denying])
      expect(await ready(replica)).toEqual({ status: 200, store: 'redis' });

    await redis.stop('SIGKILL');

    // allow: every request is answered, from the local memory store, within a bound.
    const served = await Promise.all(
      Array.from({ length: 20 }, (_, index) => chat(allowing[index % 2]!, 'outage')),
    );
    expect(served.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(Math.max(...served.map((answer) => answer.elapsedMs))).toBeLessThan(5_000);

    // deny: an OpenAI-shaped 503 store_unavailable, within the same bound, and no upstream call.
    const callsBefore = mock.requests.length;
    const refused = await Promise.all(Array.from({ length: 5 }, () => chat(denying, 'outage')));
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatchObject({ code: 'store_unavailable', type: 'api_error' });
      expect(answer.elapsedMs).toBeLessThan(5_000);
    }
    expect(mock.requests.length).toBe(callsBefore);

    for (const replica of allowing) {
      expect(await ready(replica)).toEqual({ status: 200, store: 'redis (down) (fallback: memory)' });
      expect(await metric(replica, 'chain429_store_up')).toBe('chain429_store_up{store="redis"} 0');
      expect(await metric(replica, 'chain429_store_fallback')).toBe(
        'chain429_store_fallback{store="redis"} 1',
      );
      expect(replica.stderr().match(/rate-limit store "redis" is unreachable/g)).toHaveLength(1);
    }
    expect(await ready(denying)).toEqual({ status: 503, store: 'redis (down)' });

    await redis.start();

    for (const replica of [...allowing, denying]) {
      await expect
        .poll(async () => (await ready(replica)).store, { timeout: 20_000, interval: 250 })
        .toBe('redis');
    }
    expect(await metric(allowing[0], 'chain429_store_up')).toBe('chain429_store_up{store="redis"} 1');
    expect(await metric(allowing[0], 'chain429_store_fallback')).toBe(
      'chain429_store_fallback{store="redis"} 0',
    );
    expect((await chat(denying, 'outage')).status).toBe(200);

    // State written after the restart is shared again: a 429 one replica sees, the others skip.
    mock.script('after-model', [rateLimited429]);
    expect(await chat(allowing[0], 'after')).toMatchObject({ status: 200, provider: 'backup' });
    expect(await chat(allowing[1], 'after')).toMatchObject({ status: 200, provider: 'backup' });
    expect(await chat(denying, 'after')).toMatchObject({ status: 200, provider: 'backup' });
    expect(mock.requestsFor('after-model')).toHaveLength(1);
  });
});
