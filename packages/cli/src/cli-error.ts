/** Options of {@link CliError}. */
export interface CliErrorOptions {
  /** The process exit code. @default 1 */
  exitCode?: number | undefined;
  /** Lines printed after the message, indented (e.g. one per config problem). */
  details?: readonly string[] | undefined;
  /** Print `details` alone, without the `error: message` line. @default false */
  detailsOnly?: boolean | undefined;
}

/**
 * A failure the CLI explains in a line or a few and exits on, never with a stack
 * trace: invalid config, a request that was not answered, a server out of reach.
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  readonly details: readonly string[];
  readonly detailsOnly: boolean;

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message);
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details ?? [];
    this.detailsOnly = options.detailsOnly ?? false;
  }
}
