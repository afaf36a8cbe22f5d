import type { ResolvedChain, ResolvedConfig, ResolvedProvider } from '../config/resolve-config.ts';
import { InvalidRequestError, UnknownChainError } from '../errors.ts';

/**
 * Picks the chain a request's `model` names: a chain name, then `provider/model`
 * (one entry, addressed directly), then the default chain.
 *
 * `provider/model` reaches only a model the provider lists (`models`, else its preset's
 * suggestions) or a chain names for it, so a client cannot grow buckets, metric series or
 * the rate-limit snapshot by inventing names. `settings.allowUnlistedModels` lets other
 * names through, at most `settings.unlistedModelLimit` distinct ones per config.
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
      admitModel(config, provider, model, modelName);
      const known = [...config.chains.values()]
        .flatMap((chain) => chain.entries)
        .find((entry) => entry.provider === provider && entry.model === modelName);
      return {
        name: model,
        kind,
        strategy: 'ordered',
        entries: [known ?? { provider, model: modelName, capabilities: {}, rateLimits: undefined, tier: 1 }],
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

/** Lets a `provider/model` through, or throws a 400 that says why not and what would open it. */
function admitModel(
  config: ResolvedConfig,
  provider: ResolvedProvider,
  address: string,
  modelName: string,
): void {
  if (provider.models.has(modelName) || config.unlistedModels.has(address)) return;
  const { allowUnlistedModels, unlistedModelLimit } = config.settings;
  if (!allowUnlistedModels) {
    throw new InvalidRequestError(
      `Model "${modelName}" is not listed for provider "${provider.id}": add it to that provider's models or to a chain, or set settings.allowUnlistedModels.`,
      { code: 'model_not_found', param: 'model' },
    );
  }
  if (config.unlistedModels.size >= unlistedModelLimit) {
    throw new InvalidRequestError(
      `Model "${modelName}" is not listed for provider "${provider.id}", and ${unlistedModelLimit} unlisted models are already in use (settings.unlistedModelLimit): add it to that provider's models or to a chain.`,
      { code: 'model_not_found', param: 'model' },
    );
  }
  config.unlistedModels.add(address);
}

function checkKind(chain: ResolvedChain, kind: 'chat' | 'embedding'): ResolvedChain {
  if (chain.kind === kind) return chain;
  throw new InvalidRequestError(
    `Chain "${chain.name}" serves ${chain.kind === 'embedding' ? '/v1/embeddings' : '/v1/chat/completions'}, not this endpoint.`,
    { code: 'model_not_found', param: 'model' },
  );
}
