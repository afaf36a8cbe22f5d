import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time of the files a build reads. */
function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestSource(join(path, name))), 0);
}

/**
 * Vitest global setup: builds the dashboard (`vite build`) when `dist/` is missing
 * or older than its sources, so the end-to-end tests always drive the current code.
 * The build runs in its own process with NODE_ENV=production: under Vitest
 * NODE_ENV is `test`, which would bundle React's development build.
 */
export default function buildDashboard(): void {
  const index = join(packageDirectory, 'dist', 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) =>
    join(packageDirectory, name),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestSource))) return;
  const require = createRequire(join(packageDirectory, 'package.json'));
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: packageDirectory,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'inherit',
  });
}
