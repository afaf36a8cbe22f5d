/**
 * The release check (run by .ci/run, and by packages/cli/src/release.test.ts): packs every
 * package as it would be published, checks each tarball (LICENSE, README, every `exports` and
 * `bin` target present, no Dockerfile, no test files), installs the tarballs with npm into an
 * empty folder, and runs what a newcomer would: `npx 429chain --help`, a demo-mode server
 * answering a request, and a script that embeds @429chain/core alone (installed without the
 * server or the CLI). The packages must be built first (`pnpm build`).
 *
 * Usage: node scripts/release-check.ts [work directory]  (default: a temporary directory, removed after)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packages = ['core', 'redis', 'dashboard', 'server', 'cli'] as const;
const pnpm = 'npx --yes pnpm@12.4.2';
const given = process.argv[2];
const work = given ? resolve(given) : mkdtempSync(join(tmpdir(), '429chain-release-'));
// The packages need Node 22.18+; the repository brings Node 24 (its bin folder goes first on PATH).
const nodeBin = dirname(
  execFileSync(join(root, 'node_modules/.bin/node'), ['-p', 'process.execPath']).toString().trim(),
);
const env = {
  ...process.env,
  PATH: `${nodeBin}:${process.env.PATH ?? ''}`,
  npm_config_update_notifier: 'false',
};

function step(text: string): void {
  process.stdout.write(`release-check: ${text}\n`);
}

function fail(text: string): never {
  throw new Error(`release-check: ${text}`);
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every file target named by `exports` (after publishConfig) and `bin`. */
function targetsOf(manifest: Record<string, unknown>): string[] {
  const targets: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') targets.push(value);
    else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) walk(item);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  return targets.map((target) => target.replace(/^\.\//, ''));
}

try {
  mkdirSync(join(work, 'tarballs'), { recursive: true });
  const tarballs: Record<string, string> = {};
  for (const name of packages) {
    const directory = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name: string };
    const before = new Set(readdirSync(join(work, 'tarballs')));
    execFileSync('sh', ['-c', `${pnpm} pack --pack-destination "${join(work, 'tarballs')}"`], {
      cwd: directory,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const file = readdirSync(join(work, 'tarballs')).find((entry) => !before.has(entry));
    if (!file) fail(`pnpm pack made no tarball for ${manifest.name}`);
    tarballs[manifest.name] = join(work, 'tarballs', file);

    const listing = run('tar', ['-tzf', tarballs[manifest.name]!], work)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/^package\//, ''));
    const packed = JSON.parse(
      run('tar', ['-xzOf', tarballs[manifest.name]!, 'package/package.json'], work),
    ) as Record<string, unknown>;
    const missing = ['LICENSE', 'README.md', ...targetsOf(packed)].filter((path) => !listing.includes(path));
    if (missing.length > 0) fail(`${manifest.name}'s tarball lacks ${missing.join(', ')}`);
    const unwanted = listing.filter((path) =>
      /(^|\/)Dockerfile$|\.test\.ts$|(^|\/)testing\/fixtures\//.test(path),
    );
    if (unwanted.length > 0) fail(`${manifest.name}'s tarball ships ${unwanted.join(', ')}`);
    if (JSON.stringify(packed).includes('workspace:'))
      fail(`${manifest.name}'s manifest still says workspace:`);
    if (manifest.name.startsWith('@') && (packed.publishConfig as { access?: string })?.access !== 'public') {
      fail(`${manifest.name} is scoped but not published with access: public`);
    }
    step(`${manifest.name}: ${listing.length} files, LICENSE, README and every export present`);
  }

  // Every tarball, into an empty folder, as npm users install them.
  const app = join(work, 'app');
  mkdirSync(app, { recursive: true });
  const fileSpecs = Object.fromEntries(
    Object.entries(tarballs).map(([name, path]) => [name, `file:${path}`]),
  );
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'release-check-app',
        private: true,
        type: 'module',
        dependencies: fileSpecs,
        overrides: fileSpecs,
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  step('npm installed the tarballs into an empty folder');

  const help = run('npx', ['--no-install', '429chain', '--help'], app);
  if (!help.includes('Usage: 429chain')) fail(`npx 429chain --help printed:\n${help}`);
  step('npx 429chain --help works');

  await demoRequest(app);
  step('npx 429chain --demo answered a chat completion and drained on SIGTERM');

  // @429chain/core alone: no server, no CLI, none of their dependencies.
  const embed = join(work, 'embed');
  mkdirSync(embed, { recursive: true });
  writeFileSync(
    join(embed, 'package.json'),
    JSON.stringify(
      {
        name: 'release-check-embed',
        private: true,
        type: 'module',
        dependencies: { '@429chain/core': fileSpecs['@429chain/core'] },
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], embed);
  const installed = readdirSync(join(embed, 'node_modules')).filter((entry) => !entry.startsWith('.'));
  const forbidden = installed.filter((entry) =>
    ['vitest', 'vite', 'esbuild', 'rolldown', 'lightningcss'].includes(entry),
  );
  if (forbidden.length > 0) fail(`@429chain/core pulled in ${forbidden.join(', ')}`);
  writeFileSync(join(embed, 'embed.mjs'), embedScript());
  const embedded = run(join(nodeBin, 'node'), ['embed.mjs'], embed);
  if (!embedded.includes('embedded answer: Hello from the mock'))
    fail(`the embedding script printed:\n${embedded}`);
  step(`@429chain/core alone (${installed.length} packages in node_modules) answered through chain.fetch`);
  step('passed');
} finally {
  if (!given) rmSync(work, { recursive: true, force: true });
}

/** Starts `429chain --demo` on a free port, sends one chat completion, then SIGTERM: exit 0. */
async function demoRequest(app: string): Promise<void> {
  // The installed bin itself (what npx runs), so SIGTERM reaches the server and not npx.
  const bin = join(app, 'node_modules', '.bin', '429chain');
  const child: ChildProcess = spawn(bin, ['--demo', '--no-demo-traffic', '--port', '0'], {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo server did not start:\n${output}`)), 30_000);
      const look = () => {
        const match = /proxy:\s+(http:\/\/\S+)\/v1/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolveUrl(match[1]!);
        }
      };
      child.stdout?.on('data', look);
      void exited.then(() => reject(new Error(`the demo server exited:\n${output}`)));
    });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    const body = (await response.json()) as { choices?: Array<{ message?: { content?: string } }> };
    if (response.status !== 200 || !body.choices?.[0]?.message?.content) {
      fail(`the demo server answered ${response.status}: ${JSON.stringify(body)}`);
    }
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  if (code !== 0) fail(`the demo server exited ${code} on SIGTERM:\n${output}`);
  if (!existsSync(join(app, 'data', '429chain.db'))) fail('the demo server wrote no database');
}

/** A script that embeds @429chain/core alone: a loopback mock provider and one request through chain.fetch. */
function embedScript(): string {
  return `import { createChain } from '@429chain/core';
import { startMockProvider } from '@429chain/core/testing/mock-provider';

const mock = await startMockProvider();
const chain = createChain({
  providers: [{ id: 'mock', type: 'generic', baseUrl: mock.url, apiKey: 'sk-release-check-0000' }],
  chains: [{ name: 'default', entries: [{ provider: 'mock', model: 'mock-model' }] }],
  settings: { defaultChain: 'default' },
});
const response = await chain.fetch('http://429chain.local/v1/chat/completions', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
});
const body = await response.json();
console.log('embedded answer:', body.choices?.[0]?.message?.content);
await chain.close();
await mock.close();
`;
}
