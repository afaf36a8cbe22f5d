import { type Document, isMap, isSeq } from 'yaml';
import { httpError } from '../http/openai-error.ts';
import { type ConfigEdit, indexIn } from './config-file.ts';

/**
 * The admin API's edits, each applied to the raw YAML document so comments,
 * ordering and `${NAME}` references elsewhere are kept.
 */

type Fields = Record<string, unknown>;

/** Sets each field; `null` deletes it, `undefined` leaves it. */
function patchAt(document: Document, path: Array<string | number>, patch: Fields): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) document.deleteIn([...path, key]);
    else document.setIn([...path, key], document.createNode(value));
  }
}

function ensureList(document: Document, key: string): void {
  if (!isSeq(document.get(key))) document.set(key, document.createNode([]));
}

/** Chains (by name) whose entries use a provider. */
export function chainsUsing(document: Document, providerId: string): string[] {
  const chains = document.get('chains');
  if (!isSeq(chains)) return [];
  const names: string[] = [];
  for (const chain of chains.items) {
    if (!isMap(chain)) continue;
    const entries = chain.get('entries');
    if (!isSeq(entries)) continue;
    if (entries.items.some((entry) => isMap(entry) && entry.get('provider') === providerId)) {
      names.push(String(chain.get('name')));
    }
  }
  return names;
}

/** Adds a provider; its id must be new. */
export function addProvider(provider: Fields): ConfigEdit {
  return (document) => {
    const id = String(provider.id ?? '');
    if (indexIn(document, 'providers', 'id', id) !== -1) {
      throw httpError(409, 'provider_exists', `A provider with id "${id}" already exists.`, { param: 'id' });
    }
    ensureList(document, 'providers');
    document.addIn(['providers'], document.createNode(provider));
  };
}

/**
 * Changes a provider. Keys are replaced only when given (a masked form never
 * overwrites the key). A new id is carried into every chain entry that used the old one.
 */
export function updateProvider(id: string, patch: Fields): ConfigEdit {
  return (document) => {
    const index = indexIn(document, 'providers', 'id', id);
    if (index === -1) throw httpError(404, 'provider_not_found', `No provider with id "${id}".`);
    const fields: Fields = { ...patch };
    if (fields.apiKey !== undefined && fields.apiKey !== null) fields.apiKeys = null;
    if (fields.apiKeys !== undefined && fields.apiKeys !== null) fields.apiKey = null;
    patchAt(document, ['providers', index], fields);
    const newId = patch.id;
    if (typeof newId === 'string' && newId !== id) {
      if (indexIn(document, 'providers', 'id', newId) !== index) {
        throw httpError(409, 'provider_exists', `A provider with id "${newId}" already exists.`, {
          param: 'id',
        });
      }
      renameProviderInChains(document, id, newId);
    }
  };
}

function renameProviderInChains(document: Document, from: string, to: string): void {
  const chains = document.get('chains');
  if (!isSeq(chains)) return;
  for (const chain of chains.items) {
    if (!isMap(chain)) continue;
    const entries = chain.get('entries');
    if (!isSeq(entries)) continue;
    for (const entry of entries.items) {
      if (isMap(entry) && entry.get('provider') === from) entry.set('provider', to);
    }
  }
}

/** Removes a provider that no chain uses. */
export function removeProvider(id: string): ConfigEdit {
  return (document) => {
    const index = indexIn(document, 'providers', 'id', id);
    if (index === -1) throw httpError(404, 'provider_not_found', `No provider with id "${id}".`);
    const users = chainsUsing(document, id);
    if (users.length > 0) {
      throw httpError(
        409,
        'provider_in_use',
        `Provider "${id}" is used by chain${users.length > 1 ? 's' : ''} ${users.join(', ')}; remove it from them first.`,
      );
    }
    document.deleteIn(['providers', index]);
  };
}

/** Adds a chain; its name must be new. */
export function addChain(chain: Fields): ConfigEdit {
  return (document) => {
    const name = String(chain.name ?? '');
    if (indexIn(document, 'chains', 'name', name) !== -1) {
      throw httpError(409, 'chain_exists', `A chain named "${name}" already exists.`, { param: 'name' });
    }
    ensureList(document, 'chains');
    document.addIn(['chains'], document.createNode(chain));
  };
}

/** Changes a chain (rename, kind, entries). A rename carries `settings.defaultChain` along. */
export function updateChain(name: string, patch: Fields): ConfigEdit {
  return (document) => {
    const index = indexIn(document, 'chains', 'name', name);
    if (index === -1) throw httpError(404, 'chain_not_found', `No chain named "${name}".`);
    const newName = patch.name;
    if (typeof newName === 'string' && newName !== name) {
      if (indexIn(document, 'chains', 'name', newName) !== -1) {
        throw httpError(409, 'chain_exists', `A chain named "${newName}" already exists.`, { param: 'name' });
      }
      if (document.getIn(['settings', 'defaultChain']) === name)
        document.setIn(['settings', 'defaultChain'], newName);
    }
    patchAt(document, ['chains', index], patch);
  };
}

/** Removes a chain; the default chain must be changed first. */
export function removeChain(name: string): ConfigEdit {
  return (document) => {
    const index = indexIn(document, 'chains', 'name', name);
    if (index === -1) throw httpError(404, 'chain_not_found', `No chain named "${name}".`);
    if (document.getIn(['settings', 'defaultChain']) === name) {
      throw httpError(
        409,
        'chain_is_default',
        `Chain "${name}" is the default chain; choose another default first.`,
      );
    }
    document.deleteIn(['chains', index]);
  };
}

/** Changes settings; `null` removes a setting (back to its default). */
export function updateSettings(patch: Fields): ConfigEdit {
  return (document) => {
    if (!isMap(document.get('settings'))) document.set('settings', document.createNode({}));
    patchAt(document, ['settings'], patch);
  };
}
