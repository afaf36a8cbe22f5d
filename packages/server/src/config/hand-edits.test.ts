/**
 * Issue 11, item 9: a line added to the config file by hand while the server runs survives
 * the next admin edit (which is applied on top of the file as it is now, and the engine gets
 * the hand edit too), and a hand edit that left the file invalid makes the admin edit a 409
 * that says so, with the file untouched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeTestResources,
  type ErrorBody,
  mockProviderConfig,
  startTestMock,
  startTestServer,
  type TestServer,
} from '../testing/start-test-server.ts';

afterEach(closeTestResources);

async function start(): Promise<TestServer> {
  const mock = await startTestMock();
  return startTestServer({
    config: {
      providers: [mockProviderConfig('p-ok', mock)],
      chains: [{ name: 'okchain', entries: [{ provider: 'p-ok', model: 'ok-model' }] }],
    },
  });
}

describe('a config file edited by hand while the server runs', () => {
  it('keeps the hand edit through the next admin edit, and the engine sees both', async () => {
    const server = await start();
    const original = await readFile(server.configPath, 'utf8');
    await writeFile(
      server.configPath,
      original.replace(
        'chains:\n',
        'chains:\n  - name: handmade\n    entries:\n      - provider: p-ok\n        model: hand-model\n',
      ),
    );

    const patched = await server.admin('/api/settings', { method: 'PATCH', json: { logRetentionDays: 7 } });
    const file = await readFile(server.configPath, 'utf8');
    const answered = await server.call('/v1/chat/completions', {
      method: 'POST',
      json: server.chat('handmade'),
    });

    expect(patched.status).toBe(200);
    expect(file).toContain('name: handmade');
    expect(file).toContain('logRetentionDays: 7');
    expect(file).toContain('# written by start-test-server.ts');
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-429chain-chain')).toBe('handmade');
  });

  it('refuses the admin edit with a 409 when the hand edit left the file invalid', async () => {
    const server = await start();
    const broken = (await readFile(server.configPath, 'utf8')).replace(
      'model: ok-model',
      'model: ok-model\n        colour: blue',
    );
    await writeFile(server.configPath, broken);

    const refused = await server.admin<ErrorBody>('/api/settings', {
      method: 'PATCH',
      json: { logRetentionDays: 7 },
    });

    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('config_changed_on_disk');
    expect(refused.body.error.message).toContain(server.configPath);
    expect(refused.body.error.issues).toEqual([
      { path: 'chains[0].entries[0].colour', message: 'unknown key "colour"' },
    ]);
    expect(await readFile(server.configPath, 'utf8')).toBe(broken);
  });
});
