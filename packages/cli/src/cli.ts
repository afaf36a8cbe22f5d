/**
 * The `429chain` command. Checks the Node version first (the server needs node:sqlite),
 * runs the program, and exits with its code once stdout and stderr are flushed, so a
 * server's sockets or timers never keep a finished command alive.
 */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`error: 429chain needs Node.js 22.18 or newer (this is ${process.versions.node})\n`);
  process.exit(1);
}

// A reader that stops early (`429chain providers | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { runProgram } = await import('./run-program.ts');
const code = await runProgram(process.argv.slice(2));
const flush = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
