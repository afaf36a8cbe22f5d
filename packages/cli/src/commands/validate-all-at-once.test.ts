/**
 * Issue 11, item 15: a config's problems come all at once, each once, in the format
 * docs/configuration.md shows, and syntax errors name their position once, in the file's own
 * language (JSON errors in JSON's words). `429chain validate` as a process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../testing/run-cli.ts';
import { writeConfig } from '../testing/write-config.ts';

let directory: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  directory = temporaryDirectory();
});
afterEach(() => directory.remove());

describe('429chain validate reports every problem at once', () => {
  it('a type error, an unknown provider, an unset variable and an unknown key, in document order', async () => {
    writeConfig(
      directory.path,
      `settings:
  requestTimeoutMs: "30s"
providers:
  - id: groq
    type: groq
    apiKey: \${UNSET_GROQ_KEY}
    requestPerMinute: 30
chains:
  - name: default
    entries:
      - provider: grok
        model: llama-3.1-8b-instant
`,
    );
    const run = await runCli(['validate'], { cwd: directory.path });

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'Invalid config in 429chain.yaml:',
      '  - settings.requestTimeoutMs: expected number, got "30s"',
      '  - providers[0].apiKey: environment variable UNSET_GROQ_KEY is not set',
      '  - providers[0].requestPerMinute: unknown key "requestPerMinute"',
      '  - chains[0].entries[0].provider: unknown provider "grok" (known providers: groq)',
    ]);
  });

  it('a YAML syntax error: its position once, no dangling colon, no excerpt', async () => {
    writeConfig(directory.path, 'version: 1\nproviders:\n  - id: groq\n   type: groq\nchains: []\n');
    const run = await runCli(['validate'], { cwd: directory.path });
    const lines = run.stderr.trim().split('\n');

    expect(run.code).toBe(1);
    expect(lines[0]).toBe('Invalid config in 429chain.yaml:');
    expect(lines[1]).toMatch(/^ {2}- line 4, column \d+: [A-Z][^:]*[^:]$/);
    expect(run.stderr.match(/line \d+, column \d+/g)).toHaveLength(lines.length - 1);
  });

  it('a JSON syntax error in JSON words, with its line and column', async () => {
    writeConfig(directory.path, '{\n  "providers": [],\n  "chains": [,]\n}\n', '429chain.json');
    const run = await runCli(['validate', '429chain.json'], { cwd: directory.path });

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'Invalid config in 429chain.json:',
      expect.stringMatching(/^ {2}- line 3, column \d+: invalid JSON: unexpected token ','$/),
    ]);
    expect(run.stderr).not.toMatch(/flow|mapping|YAML/i);
  });

  it('the server prints the same lines when it starts on that file', async () => {
    writeConfig(directory.path, 'providers: []\nchains:\n  - name: x\n    entries: []\n');
    const validate = await runCli(['validate'], { cwd: directory.path });
    const serve = await runCli(['serve', '--port', '0'], { cwd: directory.path });

    expect(serve.code).toBe(1);
    expect(serve.stderr).toBe(validate.stderr);
    expect(validate.stderr).toBe(
      'Invalid config in 429chain.yaml:\n  - chains[0].entries: a chain needs at least one entry (got [])\n',
    );
  });
});
