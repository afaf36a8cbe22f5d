import type { ProviderKey, ResolvedChain, ResolvedEntry } from '../config/resolve-config.ts';

/** One way to try an entry: the entry with one of its provider's keys. */
export interface Candidate {
  chain: string;
  /** Position of the entry in its chain, from 0. */
  entryIndex: number;
  entry: ResolvedEntry;
  key: ProviderKey;
  /** The scopes that limit this candidate. */
  scopes: CandidateScopes;
}

/** Scope ids: the key, the key with this model, and the entry (provider + model, across keys). */
export interface CandidateScopes {
  key: string;
  model: string;
  entry: string;
}

/** Builds the scope ids of a provider key and model. */
export function scopesOf(providerId: string, fingerprint: string, model: string): CandidateScopes {
  const key = `${providerId}~${fingerprint}`;
  return { key, model: `${key}/${model}`, entry: `${providerId}/${model}` };
}

/**
 * Expands a chain into candidates: each entry in order, and within an entry its keys
 * starting at a rotating offset so that several keys share the load.
 */
export function candidatesOf(chain: ResolvedChain, rotation: (entry: string) => number): Candidate[] {
  const candidates: Candidate[] = [];
  chain.entries.forEach((entry, entryIndex) => {
    const keys = entry.provider.keys;
    const offset = keys.length > 1 ? rotation(`${entry.provider.id}/${entry.model}`) % keys.length : 0;
    for (let step = 0; step < keys.length; step++) {
      const key = keys[(offset + step) % keys.length]!;
      candidates.push({
        chain: chain.name,
        entryIndex,
        entry,
        key,
        scopes: scopesOf(entry.provider.id, key.fingerprint, entry.model),
      });
    }
  });
  return candidates;
}
