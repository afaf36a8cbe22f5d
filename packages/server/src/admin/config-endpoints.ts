import {
  type ChainDefinition,
  ConfigError,
  fingerprintOf,
  type ProviderConfig,
  pickEngineConfig,
  presets,
  type RateLimitsConfig,
  resolvePreset,
} from '@429chain/core';
import type { ProviderView, SettingsView } from '../admin-api/admin-api.ts';
import { adminEndpoints } from '../admin-api/admin-endpoints.ts';
import {
  addChain,
  addProvider,
  removeChain,
  removeProvider,
  updateChain,
  updateProvider,
  updateSettings,
} from '../config/config-edits.ts';
import type { ConfigEdit } from '../config/config-file.ts';
import { isEnvReference } from '../config/expand-env.ts';
import { maskSecret } from '../config/mask-secret.ts';
import { maskUrlCredentials, maskUrlCredentialsIn } from '../config/mask-url-credentials.ts';
import { httpError } from '../http/openai-error.ts';
import type { AdminContext } from './admin-context.ts';
import { type ServedEndpoint, serveEndpoint } from './mount-endpoints.ts';

type Fields = Record<string, unknown>;

/**
 * A provider as the admin API shows it: keys masked, never sent back. `expanded` is the
 * same provider from the validated config (`${NAME}` references replaced with the server's
 * environment), for the keys' fingerprints. `raw` is the document's (valid) provider.
 */
export function providerView(
  raw: Fields,
  expanded: ProviderConfig | undefined,
  usedBy: string[],
): ProviderView {
  const preset = resolvePreset(String(raw.type ?? ''));
  const keys = Array.isArray(raw.apiKeys) ? raw.apiKeys : raw.apiKey !== undefined ? [raw.apiKey] : [];
  const expandedKeys = expanded?.apiKeys ?? (expanded?.apiKey !== undefined ? [expanded.apiKey] : []);
  const headers = (raw.headers ?? {}) as Record<string, unknown>;
  return {
    id: String(raw.id),
    name: String(raw.name ?? preset?.name ?? raw.id),
    type: String(raw.type),
    baseUrl: typeof raw.baseUrl === 'string' ? maskUrlCredentials(raw.baseUrl) : (preset?.baseUrl ?? null),
    baseUrlOverridden: raw.baseUrl !== undefined,
    accountId: (raw.accountId as string | undefined) ?? null,
    timeout: (raw.timeout as number | undefined) ?? null,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, maskSecret(value)])),
    rateLimits: (raw.rateLimits as RateLimitsConfig | undefined) ?? null,
    models: (raw.models as string[] | undefined) ?? [...(preset?.suggestedModels ?? [])],
    keys: keys.map((value, index) => {
      const secret = expandedKeys[index];
      return {
        index: index + 1,
        masked: maskSecret(value),
        fromEnvironment: isEnvReference(value),
        fingerprint: secret ? fingerprintOf(secret) : null,
      };
    }),
    usedBy,
    preset: preset ? { id: preset.id, name: preset.name, knownLimits: preset.knownLimits ?? null } : null,
  };
}

/** Settings as the admin API shows them: client and admin keys masked, and the credentials of every URL (the store's). */
export function settingsView(raw: Fields): SettingsView['settings'] {
  const view: Fields = maskUrlCredentialsIn({ ...raw });
  for (const field of ['apiKeys', 'adminKeys']) {
    if (Array.isArray(raw[field])) view[field] = (raw[field] as unknown[]).map((value) => maskSecret(value));
  }
  return view as SettingsView['settings'];
}

/** Runs edits, applies the new config live, and reports validation problems per form field. */
async function applyEdits(context: AdminContext, prefix: RegExp, ...edits: ConfigEdit[]): Promise<void> {
  try {
    const config = await context.configFile.edit(...edits);
    context.chain.update(pickEngineConfig(config));
    context.configChanged.dispatchEvent(new Event('change'));
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(
        error.issues.map((issue) => ({ ...issue, path: issue.path.replace(prefix, '') })),
      );
    }
    throw error;
  }
}

function rawList(context: AdminContext, key: 'providers' | 'chains'): Fields[] {
  const list = context.configFile.raw()[key];
  return Array.isArray(list) ? (list as Fields[]) : [];
}

/** Only the fields the schema knows are taken from a body; unknown ones are reported by validation. */
function editableProvider(body: Fields): Fields {
  const fields: Fields = { ...body };
  for (const derived of ['keys', 'usedBy', 'preset', 'baseUrlOverridden']) delete fields[derived];
  return fields;
}

/** Providers, chains, settings and presets under `/api`. */
export function configEndpoints(context: AdminContext): ServedEndpoint[] {
  const providerPrefix = /^providers\[\d+\]\.?/;
  const chainPrefix = /^chains\[\d+\]\.?/;
  const findProvider = (id: string) => rawList(context, 'providers').find((provider) => provider.id === id);
  const findChain = (name: string) => rawList(context, 'chains').find((chain) => chain.name === name);
  const viewOf = (raw: Fields) =>
    providerView(
      raw,
      expandedProvider(context, raw.id),
      chainsUsingIn(context.configFile.raw(), String(raw.id)),
    );
  const settings = () => settingsView((context.configFile.raw().settings ?? {}) as Fields);

  return [
    serveEndpoint(adminEndpoints.listPresets, ({ reply }) =>
      reply(200, {
        data: Object.values(presets).map((preset) => ({
          id: preset.id,
          name: preset.name,
          baseUrl: preset.baseUrl ?? null,
          needsBaseUrl: preset.baseUrl === undefined,
          needsAccountId: preset.baseUrl?.includes('{account}') ?? false,
          keyRequired: preset.keyRequired !== false,
          envKeys: [...preset.envKeys],
          suggestedModels: [...preset.suggestedModels],
          knownLimits: preset.knownLimits ?? null,
        })),
      }),
    ),
    serveEndpoint(adminEndpoints.listProviders, ({ reply }) =>
      reply(200, {
        data: rawList(context, 'providers').map(viewOf),
        persisted: context.configFile.persisted,
      }),
    ),
    serveEndpoint(adminEndpoints.createProvider, async ({ body, reply }) => {
      const fields = editableProvider(body);
      await applyEdits(context, providerPrefix, addProvider(fields));
      return reply(201, viewOf(findProvider(String(fields.id))!));
    }),
    serveEndpoint(adminEndpoints.getProvider, ({ params, reply }) => {
      const raw = findProvider(params.id);
      if (!raw) throw httpError(404, 'provider_not_found', `No provider with id "${params.id}".`);
      return reply(200, viewOf(raw));
    }),
    serveEndpoint(adminEndpoints.updateProvider, async ({ params, body, reply }) => {
      const fields = editableProvider(body);
      await applyEdits(context, providerPrefix, updateProvider(params.id, fields));
      const newId = typeof fields.id === 'string' ? fields.id : params.id;
      return reply(200, viewOf(findProvider(newId)!));
    }),
    serveEndpoint(adminEndpoints.deleteProvider, async ({ params, c }) => {
      await applyEdits(context, providerPrefix, removeProvider(params.id));
      return c.body(null, 204);
    }),

    serveEndpoint(adminEndpoints.listChains, ({ reply }) =>
      reply(200, {
        data: rawList(context, 'chains') as ChainDefinition[],
        defaultChain: context.configFile.config.settings?.defaultChain ?? null,
        persisted: context.configFile.persisted,
      }),
    ),
    serveEndpoint(adminEndpoints.createChain, async ({ body, reply }) => {
      await applyEdits(context, chainPrefix, addChain(body));
      return reply(201, findChain(String(body.name)) as ChainDefinition);
    }),
    serveEndpoint(adminEndpoints.getChain, ({ params, reply }) => {
      const chain = findChain(params.name);
      if (!chain) throw httpError(404, 'chain_not_found', `No chain named "${params.name}".`);
      return reply(200, chain as ChainDefinition);
    }),
    serveEndpoint(adminEndpoints.updateChain, async ({ params, body, reply }) => {
      await applyEdits(context, chainPrefix, updateChain(params.name, body));
      const newName = typeof body.name === 'string' ? body.name : params.name;
      return reply(200, findChain(newName) as ChainDefinition);
    }),
    serveEndpoint(adminEndpoints.deleteChain, async ({ params, c }) => {
      await applyEdits(context, chainPrefix, removeChain(params.name));
      return c.body(null, 204);
    }),

    serveEndpoint(adminEndpoints.getSettings, ({ reply }) =>
      reply(200, {
        settings: settings(),
        persisted: context.configFile.persisted,
        path: context.configFile.path ?? null,
      }),
    ),
    serveEndpoint(adminEndpoints.updateSettings, async ({ body, reply }) => {
      await applyEdits(context, /^settings\.?/, updateSettings(body));
      return reply(200, { settings: settings(), persisted: context.configFile.persisted });
    }),
  ];
}

function expandedProvider(context: AdminContext, id: unknown): ProviderConfig | undefined {
  return context.configFile.config.providers.find((provider) => provider.id === id);
}

function chainsUsingIn(raw: Fields, providerId: string): string[] {
  const chains = Array.isArray(raw.chains) ? (raw.chains as Fields[]) : [];
  return chains
    .filter(
      (chain) =>
        Array.isArray(chain.entries) &&
        (chain.entries as Fields[]).some((entry) => entry.provider === providerId),
    )
    .map((chain) => String(chain.name));
}
