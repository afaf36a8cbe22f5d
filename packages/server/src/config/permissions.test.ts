/**
 * Issue 11, item 11: the Docker image runs as uid 1000, and `429chain init` writes the config
 * 0600. Started as uid 1000 (the tests run as root) against files it may not touch, the
 * Docker entry says what is wrong and what to do instead of crash-looping on a bare EACCES,
 * and an admin edit it cannot write back answers an error naming the file (and is logged).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type SpawnedServer, spawnServer } from '../testing/spawn-server.ts';

const runAs = { uid: 1000, gid: 1000 };
/**
 * Whether uid 1000 can run this checkout's Node and read its sources at all: a clone inside a
 * folder only root may enter (`mktemp -d` makes them 0700) cannot be run as another user, and
 * these cases would only time out there instead of testing anything.
 */
const reachable =
  process.getuid?.() === 0 &&
  spawnSync(
    process.execPath,
    ['-e', `require('node:fs').accessSync(${JSON.stringify(import.meta.filename)})`],
    {
      ...runAs,
      stdio: 'ignore',
    },
  ).status === 0;
const adminKey = 'admin-key-permissions-0001';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A folder uid 1000 can enter, with a root-owned config of the given mode and a data folder uid 1000 owns. */
function layout(mode: number): { directory: string; configPath: string; dataPath: string } {
  const directory = mkdtempSync(join(tmpdir(), '429chain-perm-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  chmodSync(directory, 0o755);
  const configPath = join(directory, '429chain.yaml');
  writeFileSync(
    configPath,
    stringify({
      settings: { adminKeys: [adminKey] },
      providers: [{ id: 'local', type: 'ollama' }],
      chains: [{ name: 'main', entries: [{ provider: 'local', model: 'llama3' }] }],
    }),
  );
  chmodSync(configPath, mode);
  const dataPath = join(directory, 'data');
  mkdirSync(dataPath);
  chownSync(dataPath, runAs.uid, runAs.gid);
  return { directory, configPath, dataPath };
}

function start(paths: { directory: string; dataPath: string }): SpawnedServer {
  const server = spawnServer({
    cwd: paths.directory,
    env: {
      CHAIN429_CONFIG_DIR: paths.directory,
      CHAIN429_DB: join(paths.dataPath, '429chain.db'),
      PORT: '0',
    },
    ...runAs,
  });
  cleanups.push(() => server.stop());
  return server;
}

describe.skipIf(!reachable)('files the server user may not touch (as uid 1000)', () => {
  it('a config it cannot read: exit 1 with the file, its owner and mode, the uid, and the fix', async () => {
    const paths = layout(0o600);
    const { code, output } = await start(paths).exited;

    expect(code).toBe(1);
    expect(output).toContain(`cannot read ${paths.configPath}: permission denied (EACCES)`);
    expect(output).toContain('runs as uid 1000 (gid 1000)');
    expect(output).toContain('the file belongs to uid 0 (gid 0) with mode 0600');
    expect(output).toContain(`chmod 0644 ${paths.configPath}`);
    expect(output).toContain('docs/configuration.md');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('an admin edit it cannot write back: an error naming the file, logged, and nothing changed', async () => {
    const paths = layout(0o644);
    const server = start(paths);
    const url = await server.url;
    const response = await fetch(`${url}/api/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ logRetentionDays: 7 }),
    });
    const body = (await response.json()) as { error: { code: string; message: string } };
    const settings = (await (
      await fetch(`${url}/api/settings`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as {
      settings: Record<string, unknown>;
    };
    const { output } = await server.stop();

    expect(response.status).toBe(500);
    expect(body.error.code).toBe('config_not_writable');
    expect(body.error.message).toContain('The edit was not saved');
    expect(body.error.message).toContain(paths.directory);
    expect(body.error.message).toContain('permission denied (EACCES)');
    expect(settings.settings.logRetentionDays).toBeUndefined();
    expect(output).toContain('config write-back failed');
  });
});
