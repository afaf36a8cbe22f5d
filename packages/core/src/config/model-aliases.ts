import type { ResolvedConfig } from './resolve-config.ts';

/** One `settings.modelAliases` entry, compiled. */
export interface ModelAlias {
  /** The glob as written, e.g. `claude-*`. */
  pattern: string;
  /** A chain name or `provider/model`. */
  target: string;
  matches: RegExp;
}

/** Compiles `settings.modelAliases` (`*` matches any run of characters, `?` one character). */
export function compileAliases(aliases: Record<string, string> | undefined): ModelAlias[] {
  if (!aliases) return [];
  return Object.entries(aliases).map(([pattern, target]) => ({
    pattern,
    target,
    matches: new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      's',
    ),
  }));
}

/**
 * What a client's `model` routes to: itself when it names a chain (or when no alias matches),
 * else the first alias whose glob matches it.
 */
export function resolveModelAlias(
  model: string,
  aliases: readonly ModelAlias[],
  isChain: (name: string) => boolean,
): string {
  if (aliases.length === 0 || isChain(model)) return model;
  for (const alias of aliases) if (alias.matches.test(model)) return alias.target;
  return model;
}

/** `settings.modelAliases` applied to a client's model: chain names and `provider/model` are left alone. */
export function aliasOf(
  config: Pick<ResolvedConfig, 'aliases' | 'chains' | 'providers'>,
  model: string,
): string {
  return resolveModelAlias(model, config.aliases, (name) => {
    if (config.chains.has(name)) return true;
    const slash = name.indexOf('/');
    return slash > 0 && config.providers.has(name.slice(0, slash));
  });
}
