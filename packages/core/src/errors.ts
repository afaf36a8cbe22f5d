/**
 * The error hierarchy. Every error has a stable `code`, an HTTP `status` and an
 * OpenAI error `type`; `toOpenAIError()` turns any of them into the wire shape
 * `{ error: { message, type, code, param } }`.
 */

/** The OpenAI error body every client of 429chain receives. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    code: string | null;
    param: string | null;
    [extra: string]: unknown;
  };
}

/** Options shared by every 429chain error. */
export interface ChainErrorOptions {
  /** Stable machine-readable code, e.g. `chain_exhausted`. */
  code: string;
  /** HTTP status the error maps to. */
  status: number;
  /** OpenAI error type, e.g. `invalid_request_error`. */
  type: string;
  /** The request field at fault, in OpenAI's `param` sense. */
  param?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error 429chain throws or returns. */
export class ChainError extends Error {
  override name = 'ChainError';
  readonly code: string;
  readonly status: number;
  readonly type: string;
  readonly param: string | undefined;

  constructor(message: string, options: ChainErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.type = options.type;
    this.param = options.param;
  }

  /** Extra fields placed inside the OpenAI `error` object. */
  protected extraFields(): Record<string, unknown> {
    return {};
  }

  toJSON(): OpenAIErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        param: this.param ?? null,
        ...this.extraFields(),
      },
    };
  }
}

/** One problem found in a config, with the path that names it. */
export interface ConfigIssue {
  /** Dotted path, e.g. `chains[1].entries[0].provider`. */
  path: string;
  message: string;
}

/** The config does not validate. Carries every issue, each with its path. */
export class ConfigError extends ChainError {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options: { source?: string } = {}) {
    const where = options.source ? ` in ${options.source}` : '';
    const lines = issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`);
    super(`Invalid config${where}:\n${lines.join('\n')}`, {
      code: 'invalid_config',
      status: 400,
      type: 'invalid_request_error',
    });
    this.issues = issues;
  }

  protected override extraFields(): Record<string, unknown> {
    return { issues: this.issues };
  }
}

/** The client's request is malformed: bad JSON, a missing or ill-typed field. */
export class InvalidRequestError extends ChainError {
  override name = 'InvalidRequestError';
  constructor(
    message: string,
    options: { code?: string; param?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, {
      code: options.code ?? 'invalid_request',
      status: options.status ?? 400,
      type: 'invalid_request_error',
      param: options.param,
      cause: options.cause,
    });
  }
}

/** The `model` names no chain, no `provider/model` entry, and there is no default chain. */
export class UnknownChainError extends ChainError {
  override name = 'UnknownChainError';
  constructor(model: string, knownChains: string[]) {
    const known = knownChains.length ? ` Known chains: ${knownChains.join(', ')}.` : '';
    super(
      `Unknown chain "${model}": no chain or provider/model of that name, and no default chain is set.${known}`,
      {
        code: 'model_not_found',
        status: 400,
        type: 'invalid_request_error',
        param: 'model',
      },
    );
  }
}

/** A prompt names a chain or a provider the config does not have (see `runPrompt`). */
export class UnknownTargetError extends ChainError {
  override name = 'UnknownTargetError';
  /** What was not found. */
  readonly what: 'chain' | 'provider';
  /** The name that was given. */
  readonly target: string;
  /** The names the config has. */
  readonly known: string[];

  constructor(options: { what: 'chain' | 'provider'; target: string; known: string[] }) {
    const plural = options.what === 'chain' ? 'chains' : 'providers';
    super(
      `No ${options.what} named "${options.target}" (${plural}: ${options.known.join(', ') || 'none'}).`,
      {
        code: `${options.what}_not_found`,
        status: 404,
        type: 'not_found_error',
        param: options.what,
      },
    );
    this.what = options.what;
    this.target = options.target;
    this.known = options.known;
  }
}

/** No route serves this path or method. */
export class RouteNotFoundError extends ChainError {
  override name = 'RouteNotFoundError';
  constructor(method: string, path: string, allowed?: string[]) {
    const wrongMethod = allowed !== undefined;
    super(
      wrongMethod
        ? `Method ${method} is not allowed on ${path}. Allowed: ${allowed.join(', ')}.`
        : `Unknown path ${method} ${path}.`,
      {
        code: wrongMethod ? 'method_not_allowed' : 'unknown_url',
        status: wrongMethod ? 405 : 404,
        type: 'invalid_request_error',
      },
    );
  }
}

/** An upstream provider answered with an error status. */
export class ProviderHTTPError extends ChainError {
  override name = 'ProviderHTTPError';
  readonly provider: string;
  readonly upstreamStatus: number;
  readonly headers: Headers;
  readonly body: string;

  constructor(options: {
    provider: string;
    status: number;
    headers: Headers;
    body: string;
    message: string;
    code?: string | undefined;
    type?: string | undefined;
    param?: string | undefined;
  }) {
    super(options.message, {
      code: options.code ?? `upstream_${options.status}`,
      status: options.status,
      type: options.type ?? (options.status >= 500 ? 'api_error' : 'invalid_request_error'),
      param: options.param,
    });
    this.provider = options.provider;
    this.upstreamStatus = options.status;
    this.headers = options.headers;
    this.body = options.body;
  }

  protected override extraFields(): Record<string, unknown> {
    return { provider: this.provider };
  }
}

/** A stream failed after the answer had started reaching the client. */
export class StreamInterruptedError extends ChainError {
  override name = 'StreamInterruptedError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'stream_interrupted', status: 502, type: 'api_error', cause: options.cause });
  }
}

/** What happened to one entry during a request; also the unit of the request log's trail. */
export interface AttemptSummary {
  provider: string;
  model: string;
  key: string;
  outcome: 'answered' | 'skipped' | 'failed' | 'cancelled';
  reason: string;
  status?: number | undefined;
}

/** Every entry of the chain was skipped or failed. */
export class ChainExhaustedError extends ChainError {
  override name = 'ChainExhaustedError';
  readonly attempts: AttemptSummary[];
  /** When the earliest rate-limited entry resets (epoch ms), if every entry was rate-limited. */
  readonly retryAt: number | undefined;
  /** Whether a client should retry after `retryAt` (false when it is further off than it should sleep). */
  readonly clientShouldRetry: boolean | undefined;

  constructor(options: {
    chain: string;
    attempts: AttemptSummary[];
    status: 429 | 502 | 503;
    retryAt?: number | undefined;
    /** Every entry is out for faults (timeouts, broken streams, server errors), not rate limits. */
    faults?: boolean | undefined;
    clientShouldRetry?: boolean | undefined;
  }) {
    const trail = options.attempts
      .map((attempt) => `${attempt.provider}/${attempt.model}: ${attempt.outcome} (${attempt.reason})`)
      .join('; ');
    const headline =
      options.status === 429
        ? `Every entry of chain "${options.chain}" is rate-limited.`
        : options.faults
          ? `Every entry of chain "${options.chain}" is out after upstream faults (timeouts, broken streams, server errors), not rate limits.`
          : `No entry of chain "${options.chain}" could answer.`;
    super(`${headline} ${trail}`, {
      code:
        options.status === 429 ? 'rate_limited' : options.faults ? 'upstream_unavailable' : 'chain_exhausted',
      status: options.status,
      type: options.status === 429 ? 'rate_limit_error' : 'api_error',
    });
    this.attempts = options.attempts;
    this.retryAt = options.retryAt;
    this.clientShouldRetry = options.clientShouldRetry;
  }

  protected override extraFields(): Record<string, unknown> {
    return { attempts: this.attempts };
  }
}

/** The wait queue is full. */
export class QueueFullError extends ChainError {
  override name = 'QueueFullError';
  constructor(maxSize: number) {
    super(`Every entry is rate-limited and the wait queue is full (${maxSize} waiting).`, {
      code: 'queue_full',
      status: 429,
      type: 'rate_limit_error',
    });
  }
}

/** The chain was closed while the request was waiting or running. */
export class ChainClosedError extends ChainError {
  override name = 'ChainClosedError';
  constructor() {
    super('The chain is shutting down.', { code: 'shutting_down', status: 503, type: 'api_error' });
  }
}

/**
 * The shared rate-limit store cannot be reached and `settings.onStoreError` is `deny`:
 * the request is refused rather than routed on a quota picture this replica cannot see.
 */
export class StoreUnavailableError extends ChainError {
  override name = 'StoreUnavailableError';
  constructor(
    message = 'The rate-limit store is unavailable and settings.onStoreError is "deny"; try again shortly.',
    options: { cause?: unknown } = {},
  ) {
    super(message, { code: 'store_unavailable', status: 503, type: 'api_error', cause: options.cause });
  }
}

/** Turns any thrown value into an OpenAI-shaped error body and status. */
export function toOpenAIError(error: unknown): { status: number; body: OpenAIErrorBody } {
  if (error instanceof ChainError) return { status: error.status, body: error.toJSON() };
  return {
    status: 500,
    body: {
      error: {
        message: 'Internal error in 429chain.',
        type: 'api_error',
        code: 'internal_error',
        param: null,
      },
    },
  };
}

/** Any thrown value as an OpenAI-shaped JSON error response (`toOpenAIError`), with extra headers. */
export function openAIErrorResponse(error: unknown, headers: Record<string, string> = {}): Response {
  const { status, body } = toOpenAIError(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** True when `error` is the abort of a user's signal (never wrapped, retried or failed over). */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
