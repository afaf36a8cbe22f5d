/**
 * Issues 13 and 14: what is published works as published. The release check packs every
 * package, checks each tarball (LICENSE, README, every export target, access: public, no
 * Dockerfile or test files), installs them with npm into an empty folder and runs
 * `npx 429chain --help`, a demo-mode request, and a script embedding @429chain/core alone
 * (whose install must not pull in the test toolchain).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const node = `${root}node_modules/.bin/node`;

describe('the published packages', () => {
  it('install from their tarballs and run: the CLI, a demo request, core embedded alone', () => {
    // The tarballs carry dist/: build the four Node packages from their current sources. Not the
    // dashboard: its end-to-end tests serve its dist/ meanwhile (their setup builds it).
    execFileSync(
      'sh',
      [
        '-c',
        'npx --yes pnpm@12.4.2 --filter @429chain/core --filter @429chain/redis --filter @429chain/server --filter 429chain run build',
      ],
      { cwd: root, stdio: 'ignore' },
    );
    const output = execFileSync(node, ['scripts/release-check.ts'], { cwd: root, encoding: 'utf8' });

    expect(output).toContain('npx 429chain --help works');
    expect(output).toContain('answered a chat completion and drained on SIGTERM');
    expect(output).toContain('@429chain/core alone');
    expect(output.trim().endsWith('release-check: passed')).toBe(true);
  }, 300_000);
});
