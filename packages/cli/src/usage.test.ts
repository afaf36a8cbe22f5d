/** Help, version and usage errors: what a user sees before any command runs, and the exit codes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from './testing/run-cli.ts';

let directory: ReturnType<typeof temporaryDirectory>;
beforeAll(() => {
  directory = temporaryDirectory();
});
afterAll(() => directory.remove());

describe('429chain --help', () => {
  it('lists every command with examples and the exit codes, and exits 0', async () => {
    const run = await runCli(['--help'], { cwd: directory.path });
    expect(run.code).toBe(0);
    for (const command of ['serve', 'init', 'validate', 'test', 'status', 'providers']) {
      expect(run.stdout).toContain(command);
    }
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('Exit codes: 0 success, 1 failure');
    expect(run.stderr).toBe('');
  });

  it.each(['serve', 'init', 'validate', 'test', 'status', 'providers'])(
    'shows examples for `%s --help` and exits 0',
    async (command) => {
      const run = await runCli([command, '--help'], { cwd: directory.path });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: 429chain ${command}`);
      expect(run.stdout).toMatch(/Examples:\n {2}\$ 429chain/);
    },
  );
});

describe('usage errors', () => {
  it('prints the version with --version and exits 0', async () => {
    const run = await runCli(['--version'], { cwd: directory.path });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('0.1.0');
  });

  it('exits 2 on an unknown command, naming it and the commands there are', async () => {
    const run = await runCli(['frobnicate'], { cwd: directory.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
    expect(run.stderr).toContain('validate');
    expect(run.stdout).toBe('');
  });

  it('exits 2 on an unknown option', async () => {
    const run = await runCli(['validate', '--frobnicate'], { cwd: directory.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--frobnicate'");
  });

  it('exits 2 when a required argument is missing', async () => {
    const run = await runCli(['test'], { cwd: directory.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing required argument 'chain'");
  });

  it('exits 2 when options conflict', async () => {
    const run = await runCli(['test', 'default', '--server', 'http://127.0.0.1:3429', '--config', 'x.yaml'], {
      cwd: directory.path,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--server <url>' cannot be used with option '-c, --config <path>'");
  });

  it('exits 2 on an invalid option value', async () => {
    const run = await runCli(['serve', '--port', 'eighty'], { cwd: directory.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected a port number');
  });
});
