/**
 * Issue 11, item 10: streams still open at the drain deadline are not cut by a reset. Each
 * ends with an in-band error event and no [DONE], each is logged as interrupted, and then the
 * process exits 0. The Docker entry as a process, stopped with SIGTERM.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { streamReply } from '@429chain/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { spawnServer } from './testing/spawn-server.ts';
import { closeTestResources, SseReader, startTestMock } from './testing/start-test-server.ts';

const directory = mkdtempSync(join(tmpdir(), '429chain-shutdown-'));
afterAll(async () => {
  await closeTestResources();
  rmSync(directory, { recursive: true, force: true });
});

describe('SIGTERM with streams longer than the drain window', () => {
  it('ends each open stream in-band without [DONE], logs it as interrupted, and exits 0', async () => {
    const mock = await startTestMock();
    const opening = (streamReply({ tokens: ['Once', ' upon'] }) as { pieces: string[] }).pieces.slice(0, 3);
    mock.script('slow-model', [{ type: 'stream', pieces: opening, after: 'hang' }]);
    writeFileSync(
      join(directory, '429chain.yaml'),
      stringify({
        settings: { drainTimeoutMs: 300, adminKeys: ['admin-key-shutdown-0001'] },
        providers: [{ id: 'p-ok', type: 'generic', baseUrl: mock.url, apiKey: 'sk-p-ok-shutdown-0001' }],
        chains: [{ name: 'slow', entries: [{ provider: 'p-ok', model: 'slow-model' }] }],
      }),
    );
    const dbPath = join(directory, 'data', '429chain.db');
    const server = spawnServer({
      cwd: directory,
      env: { CHAIN429_CONFIG_DIR: directory, CHAIN429_DB: dbPath, PORT: '0' },
    });
    const url = await server.url;

    const streams = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'slow',
            stream: true,
            messages: [{ role: 'user', content: 'a story' }],
          }),
        });
        const reader = new SseReader(response);
        await reader.until((event) => event.data.includes('Once'));
        return reader;
      }),
    );
    server.child.kill('SIGTERM');
    const rests = await Promise.all(streams.map((reader) => reader.rest()));
    const { code, output } = await server.exited;
    const database = new DatabaseSync(dbPath, { readOnly: true });
    const rows = database.prepare('SELECT outcome, error_code FROM requests').all();
    database.close();

    expect(code).toBe(0);
    for (const [index, events] of rests.entries()) {
      const last = events.at(-1);
      expect({ index, last: last?.data.includes('"stream_interrupted"') }).toEqual({ index, last: true });
      expect(streams[index]!.text).not.toContain('[DONE]');
      expect(last?.data).toContain('the chain was closed');
    }
    expect(rows).toHaveLength(10);
    expect(
      rows.every((row) => row.outcome === 'interrupted' && row.error_code === 'stream_interrupted'),
    ).toBe(true);
    expect(output).not.toMatch(/\n\s+at /);
  }, 30_000);
});
