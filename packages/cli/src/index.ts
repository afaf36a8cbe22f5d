/**
 * 429chain, the command line: `npx 429chain`. The program factory is exported for
 * embedding and tests; the bin is `dist/cli.js`.
 */
export type { CliContext, OutputStream, SignalSource } from './cli-context.ts';
export { CliError, type CliErrorOptions } from './cli-error.ts';
export { createProgram, type ProgramOptions } from './create-program.ts';
export { exitCodes, runProgram } from './run-program.ts';
