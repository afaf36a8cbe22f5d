import type { Logger } from '@429chain/core';
import type { OutputStream } from '../cli-context.ts';

/** Options of {@link createStreamLogger}. */
export interface StreamLoggerOptions {
  /** Where lines go. */
  stream: OutputStream;
  /** The least severe level written. @default 'warn' */
  level?: 'debug' | 'info' | 'warn' | 'error' | undefined;
}

const severities = { debug: 0, info: 1, warn: 2, error: 3 } as const;

/** A logger that writes `429chain warn: message key=value …` lines to a stream. */
export function createStreamLogger({ stream, level = 'warn' }: StreamLoggerOptions): Logger {
  const write =
    (name: keyof typeof severities) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (severities[name] < severities[level]) return;
      const extra = Object.entries(fields ?? {})
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      stream.write(`429chain ${name}: ${message}${extra ? ` ${extra}` : ''}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
