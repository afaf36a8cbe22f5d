import { type Document, isMap, isSeq } from 'yaml';
import { httpError } from '../http/openai-error.ts';
import { type ConfigEdit, indexIn } from './config-file.ts';
import { maskSecret } from './mask-secret.ts';
import { maskUrlCredentials } from './mask-url-credentials.ts';

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
    const keys = [provider.apiKey, ...(Array.isArray(provider.apiKeys) ? provider.apiKeys : [])];
    if (keys.some(isMasked)) {
      throw httpError(400, 'masked_key', 'A key shown masked (…abcd) is not a key: paste the whole key.', {
        param: isMasked(provider.apiKey) ? 'apiKey' : 'apiKeys',
      });
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
    const newId = patch.id;
    const renamed = typeof newId === 'string' && newId !== id;
    // Checked before the patch, wherever the other provider sits in the list.
    if (renamed && indexIn(document, 'providers', 'id', newId) !== -1) {
      throw httpError(409, 'provider_exists', `A provider with id "${newId}" already exists.`, {
        param: 'id',
      });
    }
    const fields: Fields = { ...patch };
    const current = document.getIn(['providers', index]);
    keepMaskedSecrets(isMap(current) ? (current.toJS(document) as Fields) : {}, fields);
    if (fields.apiKey !== undefined && fields.apiKey !== null) fields.apiKeys = null;
    if (fields.apiKeys !== undefined && fields.apiKeys !== null) fields.apiKey = null;
    patchAt(document, ['providers', index], fields);
    if (renamed) renameProviderInChains(document, id, newId);
  };
}

/** Whether a value is the masked form the admin API shows (`…a1b2`), not a secret. */
function isMasked(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('…');
}

/**
 * The secret a masked value stands for: the one at the same position when its mask
 * matches, else the only one whose mask matches. A mask that matches none is refused.
 */
function secretFor(masked: string, secrets: readonly unknown[], position: number, param: string): unknown {
  const same = secrets[position];
  if (same !== undefined && maskSecret(same) === masked) return same;
  const matches = secrets.filter((secret) => maskSecret(secret) === masked);
  if (matches.length === 1) return matches[0];
  throw httpError(
    400,
    'invalid_value',
    `${param} is a masked value ("${masked}") that matches no current one; send the whole value, or leave the field out to keep it.`,
    { param },
  );
}

/** Puts back the secret behind each masked item of a list of keys. */
function unmaskList(values: unknown, secrets: readonly unknown[], param: string): unknown {
  if (!Array.isArray(values)) return values;
  return values.map((value, position) =>
    isMasked(value) ? secretFor(value, secrets, position, `${param}[${position}]`) : value,
  );
}

/**
 * A form sends back the masked keys and headers it was shown: each masked value is put
 * back to the secret it stands for, so it never overwrites the secret with its mask.
 */
function keepMaskedSecrets(current: Fields, fields: Fields): void {
  const currentKeys = (
    Array.isArray(current.apiKeys) ? current.apiKeys : current.apiKey !== undefined ? [current.apiKey] : []
  ) as unknown[];
  if (isMasked(fields.apiKey)) {
    const kept = secretFor(fields.apiKey, currentKeys, 0, 'apiKey');
    // The one key unchanged: leave apiKey/apiKeys as they are.
    if (currentKeys.length === 1) delete fields.apiKey;
    else fields.apiKey = kept;
  }
  if (fields.apiKeys !== undefined) fields.apiKeys = unmaskList(fields.apiKeys, currentKeys, 'apiKeys');
  if (fields.baseUrl !== undefined) fields.baseUrl = unmaskUrl(fields.baseUrl, current.baseUrl, 'baseUrl');
  const currentHeaders = (current.headers ?? {}) as Fields;
  if (typeof fields.headers === 'object' && fields.headers !== null && !Array.isArray(fields.headers)) {
    fields.headers = Object.fromEntries(
      Object.entries(fields.headers as Fields).map(([name, value]) => [
        name,
        isMasked(value) ? secretFor(value, [currentHeaders[name]], 0, `headers.${name}`) : value,
      ]),
    );
  }
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
    const fields: Fields = { ...patch };
    // Client and admin keys are shown masked; sent back so, they keep their secrets.
    for (const field of ['apiKeys', 'adminKeys']) {
      if (fields[field] === undefined || fields[field] === null) continue;
      const current = document.getIn(['settings', field]);
      const secrets = isSeq(current) ? (current.toJS(document) as unknown[]) : [];
      fields[field] = unmaskList(fields[field], secrets, field);
    }
    // The store URL is shown with its password masked; sent back so, it keeps the password.
    const store = fields.store;
    if (typeof store === 'object' && store !== null && !Array.isArray(store) && 'url' in store) {
      const currentUrl = document.getIn(['settings', 'store', 'url']);
      fields.store = { ...store, url: unmaskUrl((store as Fields).url, currentUrl, 'store.url') };
    }
    patchAt(document, ['settings'], fields);
  };
}

/** A URL sent back as shown (credentials masked) stands for the current one; another masked URL is refused. */
function unmaskUrl(sent: unknown, current: unknown, param: string): unknown {
  if (typeof sent !== 'string' || (!sent.includes(':***@') && !sent.includes('://***@'))) return sent;
  if (typeof current === 'string' && maskUrlCredentials(current) === sent) return current;
  throw httpError(
    400,
    'masked_url',
    `${param} is shown with its credentials masked (***): send the whole URL, or leave the field out to keep it.`,
    { param },
  );
}
