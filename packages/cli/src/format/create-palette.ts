import { styleText } from 'node:util';

/** Text styles; each is the identity when colours are off. */
export interface Palette {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

/** Options of {@link useColor}. */
export interface UseColorOptions {
  /** The stream written to. */
  stream: { isTTY?: boolean | undefined };
  /** The environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`). */
  env: Record<string, string | undefined>;
}

/**
 * Whether to colour a stream: only a terminal, never with `NO_COLOR` set (https://no-color.org)
 * or `TERM=dumb`; `FORCE_COLOR` (not `0`) turns colours on anyway.
 */
export function useColor({ stream, env }: UseColorOptions): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** A palette that styles with ANSI codes when `enabled`, and leaves text alone otherwise. */
export function createPalette(enabled: boolean): Palette {
  const style =
    (format: Parameters<typeof styleText>[0]) =>
    (text: string): string =>
      enabled ? styleText(format, text, { validateStream: false }) : text;
  return {
    enabled,
    bold: style('bold'),
    dim: style('dim'),
    red: style('red'),
    green: style('green'),
    yellow: style('yellow'),
    cyan: style('cyan'),
    magenta: style('magenta'),
  };
}
