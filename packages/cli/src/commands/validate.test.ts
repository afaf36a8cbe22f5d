import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../testing/run-cli.ts';
import { writeConfig } from '../testing/write-config.ts';

const validConfig = `version: 1
settings:
  defaultChain: default
providers:
  - id: groq
    type: groq
    apiKey: \${GROQ_API_KEY}
chains:
  - name: default
    entries:
      - provider: groq
        model: llama-3.1-8b-instant
  - name: fast
    entries:
      - provider: groq
        model: llama-3.1-8b-instant
`;

let directory: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  directory = temporaryDirectory();
});
afterEach(() => directory.remove());

describe('429chain validate', () => {
  it('exits 0 with a one-line summary for a valid file', async () => {
    writeConfig(directory.path, validConfig);
    const run = await runCli(['validate'], { cwd: directory.path, env: { GROQ_API_KEY: 'gsk-test' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('valid 429chain.yaml: 1 provider, 2 chains (default: 1 entry, fast: 1 entry)\n');
  });

  it('exits 1 with one `path: message` line per problem', async () => {
    writeConfig(
      directory.path,
      validConfig
        .replace(
          '      - provider: groq\n        model: llama-3.1-8b-instant\n  - name: fast',
          '      - provider: grok\n        model: llama-3.1-8b-instant\n  - name: fast',
        )
        .replace('defaultChain: default', 'defaultChain: missing'),
    );
    const run = await runCli(['validate'], { cwd: directory.path, env: { GROQ_API_KEY: 'gsk-test' } });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'Invalid config in 429chain.yaml:',
      '  - settings.defaultChain: unknown chain "missing" (known chains: default, fast)',
      '  - chains[0].entries[0].provider: unknown provider "grok" (known providers: groq)',
    ]);
    expect(run.stdout).toBe('');
  });

  it('reports an unset ${ENV} reference at its path, as the server would', async () => {
    writeConfig(directory.path, validConfig);
    const run = await runCli(['validate'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'Invalid config in 429chain.yaml:\n  - providers[0].apiKey: environment variable GROQ_API_KEY is not set',
    );
  });

  it('exits 1 on a YAML syntax error, naming its line and column, with no stack trace', async () => {
    writeConfig(directory.path, 'version: 1\nproviders:\n  - id: groq\n   type: groq\nchains: [\n');
    const run = await runCli(['validate'], { cwd: directory.path });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ {2}- line \d+, column \d+: /m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('validates the path given, and says when there is no such file', async () => {
    writeConfig(directory.path, validConfig, 'other.yaml');
    const found = await runCli(['validate', 'other.yaml'], {
      cwd: directory.path,
      env: { GROQ_API_KEY: 'k' },
    });
    expect(found.code).toBe(0);
    const missing = await runCli(['validate', 'nope.yaml'], { cwd: directory.path });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file: nope.yaml');
  });

  it('prints { valid, issues, providers, chains } with --json', async () => {
    writeConfig(directory.path, validConfig);
    const good = await runCli(['validate', '--json'], {
      cwd: directory.path,
      env: { GROQ_API_KEY: 'gsk-test' },
    });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      valid: true,
      issues: [],
      providers: [{ id: 'groq', type: 'groq' }],
      chains: [
        { name: 'default', default: true, entries: ['groq/llama-3.1-8b-instant'] },
        { name: 'fast', default: false },
      ],
    });

    writeConfig(directory.path, validConfig.replace('type: groq', 'type: grok'));
    const bad = await runCli(['validate', '--json'], {
      cwd: directory.path,
      env: { GROQ_API_KEY: 'gsk-test' },
    });
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as {
      valid: boolean;
      issues: Array<{ path: string; message: string }>;
    };
    expect(report.valid).toBe(false);
    expect(report.issues[0]).toMatchObject({
      path: 'providers[0].type',
      message: expect.stringContaining('unknown provider type "grok"'),
    });
  });
});
