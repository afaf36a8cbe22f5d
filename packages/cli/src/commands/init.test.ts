import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presets } from '@429chain/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../testing/run-cli.ts';

const keys = {
  GROQ_API_KEY: 'gsk-test',
  CEREBRAS_API_KEY: 'csk-test',
  GEMINI_API_KEY: 'gem-test',
  OPENROUTER_API_KEY: 'or-test',
};

let directory: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  directory = temporaryDirectory();
});
afterEach(() => directory.remove());

describe('429chain init', () => {
  it('writes a commented starter config (mode 0600) that validate accepts', async () => {
    const init = await runCli(['init'], { cwd: directory.path });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Wrote 429chain.yaml');
    const path = join(directory.path, '429chain.yaml');
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const text = readFileSync(path, 'utf8');
    expect(text).toContain('apiKey: "${GROQ_API_KEY}"');
    for (const id of ['groq', 'cerebras', 'gemini', 'openrouter']) {
      expect(text).toContain(`- provider: ${id}\n        model: ${presets[id]?.suggestedModels[0]}`);
    }
    for (const example of ['# rateLimits:', '# capabilities:', '# queueMode: true', 'type: generic']) {
      expect(text).toContain(example);
    }

    const validate = await runCli(['validate'], { cwd: directory.path, env: keys });
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/valid 429chain\.yaml: 4 providers, 1 chain \(default: 4 entries\)/);
  });

  it('writes a default chain with strategy expiring-first when asked, and refuses an unknown strategy', async () => {
    const init = await runCli(['init', '--strategy', 'expiring-first'], { cwd: directory.path });
    expect(init.code).toBe(0);
    const text = readFileSync(join(directory.path, '429chain.yaml'), 'utf8');
    expect(text).toContain('\n    strategy: expiring-first\n    entries:');
    expect(text).toContain('# tier: 1');
    const validate = await runCli(['validate'], { cwd: directory.path, env: keys });
    expect(validate.code).toBe(0);

    const wrong = await runCli(['init', 'other.yaml', '--strategy', 'fastest'], { cwd: directory.path });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('error: --strategy must be ordered or expiring-first, not "fastest"');
  });

  it('tells which key variables are not set yet', async () => {
    const init = await runCli(['init'], { cwd: directory.path, env: { GROQ_API_KEY: 'gsk-test' } });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Set CEREBRAS_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY');
  });

  it('writes to the path given, creating its folder', async () => {
    const run = await runCli(['init', 'config/429chain.yaml'], { cwd: directory.path });
    expect(run.code).toBe(0);
    expect(readFileSync(join(directory.path, 'config/429chain.yaml'), 'utf8')).toContain('chains:');
  });

  it('refuses to overwrite an existing file (exit 1) and leaves it alone', async () => {
    const path = join(directory.path, '429chain.yaml');
    writeFileSync(path, 'mine: true\n');
    const run = await runCli(['init'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('error: 429chain.yaml already exists; pass --force to overwrite it');
    expect(readFileSync(path, 'utf8')).toBe('mine: true\n');
  });

  it('overwrites with --force', async () => {
    const path = join(directory.path, '429chain.yaml');
    writeFileSync(path, 'mine: true\n', { mode: 0o644 });
    const run = await runCli(['init', '--force'], { cwd: directory.path });
    expect(run.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('chains:');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
