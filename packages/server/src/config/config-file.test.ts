import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@429chain/core';
import { afterEach, describe, expect, it } from 'vitest';
import { addChain, removeProvider, updateProvider, updateSettings } from './config-edits.ts';
import { ConfigFile } from './config-file.ts';

let directory: string | undefined;
afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

const commented = `# My 429chain config — keep these notes!
version: 1
settings:
  defaultChain: main   # the chain clients get by default
  cooldownDefaultMs: 60000

providers:
  # Groq: fast, generous free tier
  - id: groq
    type: groq
    apiKey: \${GROQ_API_KEY}   # never written in clear
  - id: local
    type: generic
    baseUrl: http://127.0.0.1:11434/v1

chains:
  - name: main
    entries:
      - provider: groq
        model: llama-3.1-8b-instant   # the workhorse
      - provider: local
        model: llama3.2
`;

function write(name: string, text: string): string {
  directory ??= mkdtempSync(join(tmpdir(), '429chain-config-'));
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

describe('ConfigFile', () => {
  it('expands ${NAME} references from the environment and names a missing one by path', async () => {
    const path = write('config.yaml', commented);
    const file = await ConfigFile.load(path, { env: { GROQ_API_KEY: 'gsk-secret-value-1234' } });
    expect(file.config.providers[0]!.apiKey).toBe('gsk-secret-value-1234');
    const rawProviders = file.raw().providers as Array<Record<string, unknown>>;
    expect(rawProviders[0]!.apiKey).toBe('${GROQ_API_KEY}');

    const missing = await ConfigFile.load(path, { env: {} }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).issues).toEqual([
      { path: 'providers[0].apiKey', message: 'environment variable GROQ_API_KEY is not set' },
    ]);
  });

  it('reports YAML syntax errors with their line', async () => {
    const path = write('broken.yaml', 'providers:\n  - id: groq\n   type: groq\nchains: [\n');
    const error = (await ConfigFile.load(path, { env: {} }).catch(
      (caught: unknown) => caught,
    )) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues[0]!.path).toMatch(/^line \d+, column \d+$/);
  });

  it('names the path and the value of a wrong setting', async () => {
    const path = write(
      'typed.yaml',
      commented.replace('cooldownDefaultMs: 60000', 'cooldownDefaultMs: "a minute"'),
    );
    const error = (await ConfigFile.load(path, { env: { GROQ_API_KEY: 'k' } }).catch(
      (caught: unknown) => caught,
    )) as ConfigError;
    expect(error.issues).toEqual([
      { path: 'settings.cooldownDefaultMs', message: expect.stringContaining('"a minute"') },
    ]);
  });

  it('writes edits back atomically with mode 0600, keeping comments and ${NAME} references', async () => {
    const path = write('config.yaml', commented);
    const file = await ConfigFile.load(path, { env: { GROQ_API_KEY: 'gsk-secret-value-1234' } });
    const config = await file.edit(
      updateProvider('local', { name: 'My laptop' }),
      addChain({ name: 'backup', entries: [{ provider: 'local', model: 'qwen2.5' }] }),
      updateSettings({ queueMode: true }),
    );
    expect(config.chains.map((chain) => chain.name)).toEqual(['main', 'backup']);

    const text = readFileSync(path, 'utf8');
    for (const comment of [
      '# My 429chain config — keep these notes!',
      '# the chain clients get by default',
      '# Groq: fast, generous free tier',
      '# never written in clear',
      '# the workhorse',
    ]) {
      expect(text).toContain(comment);
    }
    expect(text).toContain('${GROQ_API_KEY}');
    expect(text).not.toContain('gsk-secret-value-1234');
    expect(text).toContain('name: My laptop');
    expect(text).toContain('queueMode: true');
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const reloaded = await ConfigFile.load(path, { env: { GROQ_API_KEY: 'x' } });
    expect(reloaded.config.chains.map((chain) => chain.name)).toEqual(['main', 'backup']);
  });

  it('leaves file and config untouched when an edit would make the config invalid', async () => {
    const path = write('config.yaml', commented);
    const file = await ConfigFile.load(path, { env: { GROQ_API_KEY: 'k' } });
    const before = readFileSync(path, 'utf8');
    const error = await file
      .edit(addChain({ name: 'bad', entries: [{ provider: 'grok', model: 'x' }] }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ path: 'chains[1].entries[0].provider' });
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(file.config.chains).toHaveLength(1);
  });

  it('refuses to remove a provider that a chain uses', async () => {
    const path = write('config.yaml', commented);
    const file = await ConfigFile.load(path, { env: { GROQ_API_KEY: 'k' } });
    await expect(file.edit(removeProvider('groq'))).rejects.toThrow(/used by chain main/);
  });

  it('writes JSON configs back as JSON', async () => {
    const path = write(
      'config.json',
      JSON.stringify({
        providers: [{ id: 'local', type: 'generic', baseUrl: 'http://127.0.0.1:1/v1' }],
        chains: [],
      }),
    );
    const file = await ConfigFile.load(path, { env: {} });
    await file.edit(addChain({ name: 'main', entries: [{ provider: 'local', model: 'm' }] }));
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { chains: Array<{ name: string }> };
    expect(parsed.chains[0]!.name).toBe('main');
  });
});
