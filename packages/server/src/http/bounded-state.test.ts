/**
 * Issue 11, item 1: state a client can grow stays bounded. 20,000 requests with distinct
 * invented names (`p-ok/distinct-model-<i>` for a configured provider, and plain names that
 * fall to the default chain) against the Docker entry as its own process. Bounds, measured
 * after the idle heap compaction: RSS grows by less than 48 MiB (it grew by 522 MB before),
 * /metrics grows by less than 8 KiB (it reached 41 MB), and the rate-limit snapshot that
 * survives restarts stays under 16 KiB (it reached 9.9 MB).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { MockProvider } from '@429chain/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type SpawnedServer, spawnServer } from '../testing/spawn-server.ts';
import { closeTestResources, startTestMock } from '../testing/start-test-server.ts';

const requests = 20_000;
const concurrency = 32;
const mib = 1024 * 1024;

let directory: string;
let mock: MockProvider;
let server: SpawnedServer;
let base: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), '429chain-bounded-'));
  mock = await startTestMock();
  await writeFile(
    join(directory, '429chain.yaml'),
    stringify({
      settings: {
        defaultChain: 'okchain',
        compactMemoryAfterIdleMs: 300,
        adminKeys: ['admin-key-bounded-0001'],
      },
      providers: [{ id: 'p-ok', type: 'generic', baseUrl: mock.url, apiKey: 'sk-p-ok-bounded-0001' }],
      chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
    }),
  );
  server = spawnServer({
    cwd: directory,
    env: {
      CHAIN429_CONFIG: join(directory, '429chain.yaml'),
      CHAIN429_DB: join(directory, 'data', 'db.sqlite'),
      PORT: '0',
    },
  });
  base = await server.url;
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await closeTestResources();
  await rm(directory, { recursive: true, force: true });
});

async function metrics(): Promise<{ text: string; rss: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const rss = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
  return { text, rss };
}

/** Waits past the idle compaction, then reads the metrics. */
async function settledMetrics(): Promise<{ text: string; rss: number }> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return metrics();
}

describe('state a client can grow', () => {
  it(`stays bounded after ${requests} distinct model names`, async () => {
    // Warm up the paths first, so the baseline holds what a served request needs.
    for (let index = 0; index < 200; index++) await send(index % 2 === 0 ? 'okchain' : `p-ok/warm-${index}`);
    const before = await settledMetrics();

    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const index = next++;
          const model = index % 2 === 0 ? `p-ok/distinct-model-${index}` : `distinct-chain-${index}`;
          const status = await send(model);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const after = await settledMetrics();
    const stopped = await server.stop();
    const database = new DatabaseSync(join(directory, 'data', 'db.sqlite'), { readOnly: true });
    const snapshot = database.prepare('SELECT length(state) AS size FROM rate_limit_snapshot').get() as
      | { size: number }
      | undefined;
    database.close();

    // Invented provider/model names are refused before anything is sent; other names go to the default chain.
    expect(Object.fromEntries(statuses)).toEqual({ 200: requests / 2, 400: requests / 2 });
    expect(new Set(mock.requests.map((request) => request.model))).toEqual(new Set(['ok-model']));
    expect(stopped.code).toBe(0);
    const grown = {
      rssMiB: (after.rss - before.rss) / mib,
      metricsBytes: after.text.length - before.text.length,
    };
    expect(grown.rssMiB).toBeLessThan(48);
    expect(grown.metricsBytes).toBeLessThan(8 * 1024);
    expect(after.text).not.toContain('distinct-');
    expect(snapshot?.size ?? 0).toBeLessThan(16 * 1024);
  }, 240_000);
});

async function send(model: string): Promise<number> {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await response.arrayBuffer();
  return response.status;
}
