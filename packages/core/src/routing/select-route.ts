import type { ResolvedChain, ResolvedConfig } from '../config/resolve-config.ts';
import { InvalidRequestError, UnknownChainError } from '../errors.ts';

/**
 * Picks the chain a request's `model` names: a chain name, then `provider/model`
 * (one entry, addressed directly), then the default chain.
 */
export function selectRoute(
  config: ResolvedConfig,
  model: string,
  kind: 'chat' | 'embedding',
): ResolvedChain {
  const named = config.chains.get(model);
  if (named) return checkKind(named, kind);
  const slash = model.indexOf('/');
  if (slash > 0) {
    const provider = config.providers.get(model.slice(0, slash));
    const modelName = model.slice(slash + 1);
    if (provider && modelName) {
      const known = [...config.chains.values()]
        .flatMap((chain) => chain.entries)
        .find((entry) => entry.provider === provider && entry.model === modelName);
      return {
        name: model,
        kind,
        entries: [known ?? { provider, model: modelName, capabilities: {}, rateLimits: undefined }],
      };
    }
  }
  const fallback = config.settings.defaultChain ? config.chains.get(config.settings.defaultChain) : undefined;
  if (fallback && fallback.kind === kind) return fallback;
  throw new UnknownChainError(
    model,
    [...config.chains.values()].filter((chain) => chain.kind === kind).map((chain) => chain.name),
  );
}

function checkKind(chain: ResolvedChain, kind: 'chat' | 'embedding'): ResolvedChain {
  if (chain.kind === kind) return chain;
  throw new InvalidRequestError(
    `Chain "${chain.name}" serves ${chain.kind === 'embedding' ? '/v1/embeddings' : '/v1/chat/completions'}, not this endpoint.`,
    { code: 'model_not_found', param: 'model' },
  );
}
