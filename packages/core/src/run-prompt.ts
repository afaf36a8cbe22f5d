import type { Chain } from './create-chain.ts';
import { UnknownTargetError } from './errors.ts';
import type { RequestRecord } from './events/request-record.ts';
import { createRequestId } from './http/request-id.ts';

/** Where a prompt goes: a chain by name, or one entry (a provider and a model), without failover. */
export type PromptTarget = { chain: string } | { provider: string; model: string };

/** Options of {@link runPrompt}. */
export interface RunPromptOptions {
  /** The engine to run it on. */
  chain: Chain;
  /** A chain name, or `provider/model` for one entry; or the same as an object. */
  target: string | PromptTarget;
  /** The user message. */
  prompt: string;
  /** Stream the answer (with usage in its last event). @default false */
  stream?: boolean | undefined;
  /** `max_tokens` of the request. @default the provider's */
  maxTokens?: number | undefined;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
  /** Labels recorded with the request (e.g. `{ client: 'cli test' }`). */
  metadata?: Record<string, string> | undefined;
  /** What a streamed body does when `signal` aborts (see `HandleOptions.onAbort`). @default 'error' */
  onAbort?: 'error' | 'close' | undefined;
  /**
   * A chain name the config does not have: `default` routes it like `/v1` does (to the
   * default chain), `refuse` throws an {@link UnknownTargetError}. An unknown provider is
   * always refused. @default 'default'
   */
  unknownChain?: 'default' | 'refuse' | undefined;
}

/** A prompt on its way: the engine's answer and, once the request ends, its record. */
export interface PromptRun {
  /** The request's id (also `x-429chain-request-id`). */
  requestId: string;
  /** A chat completion, or with `stream` an event stream, exactly as `/v1/chat/completions` answers. */
  response: Response;
  /** The request's record with its attempt trail; a stream's once its body is read or cancelled. */
  record: Promise<RequestRecord>;
}

/** Reads `name` as a chain and `provider/model` as one entry (chain names have no `/`). */
export function parsePromptTarget(target: string): PromptTarget {
  const slash = target.indexOf('/');
  return slash === -1
    ? { chain: target }
    : { provider: target.slice(0, slash), model: target.slice(slash + 1) };
}

/**
 * Runs one prompt through a chain or one entry and captures its record: what the CLI's
 * `test` command and the admin API's `POST /api/test` do. An unknown provider (or chain,
 * with `unknownChain: 'refuse'`) throws {@link UnknownTargetError} before anything is sent.
 */
export async function runPrompt(options: RunPromptOptions): Promise<PromptRun> {
  const { chain } = options;
  const target = typeof options.target === 'string' ? parsePromptTarget(options.target) : options.target;
  const config = chain.config();
  if ('provider' in target) {
    if (!config.providers.some((provider) => provider.id === target.provider)) {
      const known = config.providers.map((provider) => provider.id);
      throw new UnknownTargetError({ what: 'provider', target: target.provider, known });
    }
  } else if (
    options.unknownChain === 'refuse' &&
    !config.chains.some((found) => found.name === target.chain)
  ) {
    const known = config.chains.map((found) => found.name);
    throw new UnknownTargetError({ what: 'chain', target: target.chain, known });
  }

  const requestId = createRequestId();
  let unsubscribe = (): void => {};
  const record = new Promise<RequestRecord>((resolve) => {
    unsubscribe = chain.on('request-end', (event) => {
      if (event.record.id !== requestId) return;
      unsubscribe();
      resolve(event.record);
    });
  });
  const stream = options.stream === true;
  try {
    const response = await chain.handle(
      new Request('http://429chain.local/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'provider' in target ? `${target.provider}/${target.model}` : target.chain,
          stream,
          stream_options: stream ? { include_usage: true } : undefined,
          max_tokens: options.maxTokens,
          messages: [{ role: 'user', content: options.prompt }],
        }),
        signal: options.signal,
      }),
      { requestId, metadata: options.metadata, onAbort: options.onAbort },
    );
    return { requestId, response, record };
  } catch (error) {
    unsubscribe();
    throw error;
  }
}
