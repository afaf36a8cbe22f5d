/**
 * Issue 11, item 7: the request log is readable by the server's user alone. The data folder
 * it creates is 0700; the database, its WAL and shared-memory files and admin.key are 0600,
 * and a database left 0644 by an older version is tightened when it is opened.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  temporaryDirectory,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

describe('data files', () => {
  it('are 0600 in a 0700 folder, admin.key included, after requests were logged', async () => {
    const mock = await startTestMock();
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('p-ok', mock)],
        chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
      },
      // No admin keys in the config: the server generates admin.key next to the database.
      defaultAdminKey: false,
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('okchain') });
    await server.server.chain.close();
    const folder = join(server.directory, 'data');

    expect(modeOf(folder)).toBe('0700');
    for (const file of ['429chain.db', '429chain.db-wal', '429chain.db-shm', 'admin.key']) {
      expect({ file, mode: modeOf(join(folder, file)) }).toEqual({ file, mode: '0600' });
    }
  });

  it('tightens a database an older version left 0644', async () => {
    const directory = await temporaryDirectory();
    const dbPath = join(directory, 'old.db');
    writeFileSync(dbPath, '');
    chmodSync(dbPath, 0o644);
    const mock = await startTestMock();
    const server = await startTestServer({
      config: {
        providers: [mockProviderConfig('p-ok', mock)],
        chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
      },
      start: { dbPath },
    });
    await server.call('/v1/chat/completions', { method: 'POST', json: server.chat('okchain') });

    expect(modeOf(dbPath)).toBe('0600');
    expect(modeOf(`${dbPath}-wal`)).toBe('0600');
  });
});
