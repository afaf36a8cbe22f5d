import type { Palette } from './format/create-palette.ts';

/** Somewhere text goes: `process.stdout`, `process.stderr`, or a test's collector. */
export interface OutputStream {
  write(text: string): unknown;
  /** Whether a terminal is attached (colours are used only then). */
  isTTY?: boolean | undefined;
}

/** Emits the shutdown signals `serve` waits for. */
export interface SignalSource {
  once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

/** What every command works with; built once by {@link createProgram}. */
export interface CliContext {
  /** Results: tables, answers, JSON. */
  stdout: OutputStream;
  /** Errors, warnings and diagnostics. */
  stderr: OutputStream;
  /** Environment for `${NAME}` references, provider keys and CLI settings. */
  env: Record<string, string | undefined>;
  /** Working directory that relative paths resolve against. */
  cwd: string;
  /** Where `serve` hears SIGTERM and SIGINT. */
  signals: SignalSource;
  /** The fetch used to reach a running server. */
  fetch: typeof globalThis.fetch;
  /** Colours for stdout (identity functions when colours are off). */
  palette: Palette;
}
