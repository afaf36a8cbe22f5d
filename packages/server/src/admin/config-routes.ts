import { ConfigError, fingerprintOf, type ProviderConfig, presets, resolvePreset } from '@429chain/core';
import type { Hono } from 'hono';
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
import type { AppEnvironment } from '../http/create-app.ts';
import { httpError } from '../http/openai-error.ts';
import type { AdminContext } from './admin-context.ts';
import { readJsonObject, route } from './route-methods.ts';

type Fields = Record<string, unknown>;

/**
 * A provider as the admin API shows it: keys masked, never sent back. `expanded` is the
 * same provider from the validated config (`${NAME}` references replaced with the server's
 * environment), for the keys' fingerprints.
 */
export function providerView(raw: Fields, expanded?: ProviderConfig): Fields {
  const preset = resolvePreset(String(raw.type ?? ''));
  const keys = Array.isArray(raw.apiKeys) ? raw.apiKeys : raw.apiKey !== undefined ? [raw.apiKey] : [];
  const expandedKeys = expanded?.apiKeys ?? (expanded?.apiKey !== undefined ? [expanded.apiKey] : []);
  const headers = (raw.headers ?? {}) as Record<string, unknown>;
  return {
    id: raw.id,
    name: raw.name ?? preset?.name ?? raw.id,
    type: raw.type,
    baseUrl: raw.baseUrl ?? preset?.baseUrl ?? null,
    baseUrlOverridden: raw.baseUrl !== undefined,
    accountId: raw.accountId ?? null,
    timeout: raw.timeout ?? null,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, maskSecret(value)])),
    rateLimits: raw.rateLimits ?? null,
    models: raw.models ?? preset?.suggestedModels ?? [],
    keys: keys.map((value, index) => {
      const secret = expandedKeys[index];
      return {
        index: index + 1,
        masked: maskSecret(value),
        fromEnvironment: isEnvReference(value),
        fingerprint: secret ? fingerprintOf(secret) : null,
      };
    }),
    usedBy: [] as string[],
    preset: preset ? { id: preset.id, name: preset.name, knownLimits: preset.knownLimits ?? null } : null,
  };
}

/** Settings as the admin API shows them: client and admin keys masked. */
export function settingsView(raw: Fields): Fields {
  const view: Fields = { ...raw };
  for (const field of ['apiKeys', 'adminKeys']) {
    if (Array.isArray(raw[field])) view[field] = (raw[field] as unknown[]).map((value) => maskSecret(value));
  }
  return view;
}

/** Runs edits, applies the new config live, and reports validation problems per form field. */
async function applyEdits(context: AdminContext, prefix: RegExp, ...edits: ConfigEdit[]): Promise<void> {
  try {
    const config = await context.configFile.edit(...edits);
    context.chain.update(config);
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

/** Mounts providers, chains, settings and presets under `/api`. */
export function mountConfigRoutes(app: Hono<AppEnvironment>, context: AdminContext): void {
  const providerPrefix = /^providers\[\d+\]\.?/;
  const chainPrefix = /^chains\[\d+\]\.?/;

  route(app, '/api/presets', {
    GET: (c) =>
      c.json({
        data: Object.values(presets).map((preset) => ({
          id: preset.id,
          name: preset.name,
          baseUrl: preset.baseUrl ?? null,
          needsBaseUrl: preset.baseUrl === undefined,
          needsAccountId: preset.baseUrl?.includes('{account}') ?? false,
          keyRequired: preset.keyRequired !== false,
          envKeys: preset.envKeys,
          suggestedModels: preset.suggestedModels,
          knownLimits: preset.knownLimits ?? null,
        })),
      }),
  });

  route(app, '/api/providers', {
    GET: (c) => {
      const document = context.configFile;
      const data = rawList(context, 'providers').map((raw) => {
        const view = providerView(raw, expandedProvider(context, raw.id));
        view.usedBy = chainsUsingIn(document.raw(), String(raw.id));
        return view;
      });
      return c.json({ data, persisted: context.configFile.persisted });
    },
    POST: async (c) => {
      const body = editableProvider(await readJsonObject(c.req.raw));
      await applyEdits(context, providerPrefix, addProvider(body));
      const raw = rawList(context, 'providers').find((provider) => provider.id === body.id)!;
      return c.json(providerView(raw, expandedProvider(context, raw.id)), 201);
    },
  });

  route(app, '/api/providers/:id', {
    GET: (c) => {
      const raw = rawList(context, 'providers').find((provider) => provider.id === c.req.param('id')!);
      if (!raw) throw httpError(404, 'provider_not_found', `No provider with id "${c.req.param('id')!}".`);
      const view = providerView(raw, expandedProvider(context, raw.id));
      view.usedBy = chainsUsingIn(context.configFile.raw(), String(raw.id));
      return c.json(view);
    },
    PATCH: async (c) => {
      const id = c.req.param('id')!;
      const body = editableProvider(await readJsonObject(c.req.raw));
      await applyEdits(context, providerPrefix, updateProvider(id, body));
      const newId = typeof body.id === 'string' ? body.id : id;
      const raw = rawList(context, 'providers').find((provider) => provider.id === newId)!;
      const view = providerView(raw, expandedProvider(context, newId));
      view.usedBy = chainsUsingIn(context.configFile.raw(), newId);
      return c.json(view);
    },
    DELETE: async (c) => {
      await applyEdits(context, providerPrefix, removeProvider(c.req.param('id')!));
      return c.body(null, 204);
    },
  });

  route(app, '/api/chains', {
    GET: (c) =>
      c.json({
        data: rawList(context, 'chains'),
        defaultChain: context.configFile.config.settings?.defaultChain ?? null,
        persisted: context.configFile.persisted,
      }),
    POST: async (c) => {
      const body = await readJsonObject(c.req.raw);
      await applyEdits(context, chainPrefix, addChain(body));
      return c.json(
        rawList(context, 'chains').find((chain) => chain.name === body.name),
        201,
      );
    },
  });

  route(app, '/api/chains/:name', {
    GET: (c) => {
      const chain = rawList(context, 'chains').find((found) => found.name === c.req.param('name')!);
      if (!chain) throw httpError(404, 'chain_not_found', `No chain named "${c.req.param('name')!}".`);
      return c.json(chain);
    },
    PUT: async (c) => {
      const name = c.req.param('name')!;
      const body = await readJsonObject(c.req.raw);
      await applyEdits(context, chainPrefix, updateChain(name, body));
      const newName = typeof body.name === 'string' ? body.name : name;
      return c.json(rawList(context, 'chains').find((chain) => chain.name === newName));
    },
    DELETE: async (c) => {
      await applyEdits(context, chainPrefix, removeChain(c.req.param('name')!));
      return c.body(null, 204);
    },
  });

  route(app, '/api/settings', {
    GET: (c) =>
      c.json({
        settings: settingsView((context.configFile.raw().settings ?? {}) as Fields),
        persisted: context.configFile.persisted,
        path: context.configFile.path ?? null,
      }),
    PATCH: async (c) => {
      const body = await readJsonObject(c.req.raw);
      await applyEdits(context, /^settings\.?/, updateSettings(body));
      return c.json({
        settings: settingsView((context.configFile.raw().settings ?? {}) as Fields),
        persisted: context.configFile.persisted,
      });
    },
  });
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
