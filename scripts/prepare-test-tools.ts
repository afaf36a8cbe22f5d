/**
 * Makes sure the system tools the test suite drives are present: Debian's Chromium
 * (dashboard end-to-end tests, through playwright-core) and redis-server (the Redis
 * store's tests). A fresh machine has neither; when run as root (or with sudo) this
 * installs them from Debian's packages, otherwise it says exactly what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = [
  { name: 'chromium', found: () => existsSync('/usr/bin/chromium'), packages: ['chromium'] },
  { name: 'redis-server', found: () => onPath('redis-server'), packages: ['redis-server'] },
];

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const missing = tools.filter((tool) => !tool.found());
if (missing.length === 0) process.exit(0);

const packages = missing.flatMap((tool) => tool.packages);
const isRoot = process.getuid?.() === 0;
const prefix = isRoot ? [] : onPath('sudo') ? ['sudo', '-n'] : undefined;
if (!prefix || !onPath('apt-get')) {
  process.stderr.write(
    `The tests need ${missing.map((tool) => tool.name).join(' and ')}. Install them (Debian/Ubuntu: apt-get install -y ${packages.join(' ')}) and run the tests again.\n`,
  );
  process.exit(1);
}
process.stdout.write(`Installing ${packages.join(', ')} from Debian's packages for the test suite…\n`);
const run = (args: string[]) => {
  const [command, ...rest] = [...prefix, ...args];
  execFileSync(command!, rest, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
};
run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', '--no-install-recommends', ...packages]);
for (const tool of missing) {
  if (!tool.found()) {
    process.stderr.write(`${tool.name} is still missing after the install.\n`);
    process.exit(1);
  }
}
