import type { RequestRecord } from './request-record.ts';

/** Receives one record per request, with its attempt trail. */
export interface RequestLogger {
  /** Called once per request when it ends. Must not throw; may be async. */
  log(record: RequestRecord): void | Promise<void>;
  /** Writes out anything buffered. */
  flush?(): Promise<void>;
  /** Flushes and releases resources. */
  close?(): Promise<void>;
}

/** Discards every record. */
export const noopRequestLogger: RequestLogger = {
  log() {},
};

/** Options of {@link createConsoleRequestLogger}. */
export interface ConsoleRequestLoggerOptions {
  /** Where lines go. @default console.info */
  write?: ((line: string) => void) | undefined;
  /** One JSON object per line instead of a readable summary. @default false */
  json?: boolean | undefined;
}

/** Writes one line per request: `chain → provider/model 200 812ms (2 attempts: …)`. */
export function createConsoleRequestLogger(options: ConsoleRequestLoggerOptions = {}): RequestLogger {
  // biome-ignore lint/suspicious/noConsole: this logger exists to write to the console.
  const write = options.write ?? ((line: string) => console.info(line));
  return {
    log(record) {
      if (options.json) {
        write(JSON.stringify(record));
        return;
      }
      const answered = record.provider ? `${record.provider}/${record.model}` : record.outcome;
      const trail = record.attempts
        .map((attempt) => `${attempt.provider}/${attempt.model} ${attempt.outcome}: ${attempt.reason}`)
        .join('; ');
      write(`${record.chain} → ${answered} ${record.status} ${record.latencyMs}ms (${trail})`);
    },
  };
}
