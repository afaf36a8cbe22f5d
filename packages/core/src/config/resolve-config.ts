import { resolvePreset } from '../providers/presets/index.ts';
import type { ProviderPreset } from '../providers/provider-preset.ts';
import type { Capabilities, ChainConfig, RateLimitsConfig } from './config-schema.ts';
import { compileAliases, type ModelAlias } from './model-aliases.ts';
import { createRedactor, type Redact } from './redact-secrets.ts';

/** Engine settings with every default applied. */
export interface EngineSettings {
  defaultChain: string | undefined;
  cooldownDefaultMs: number;
  requestTimeoutMs: number;
  firstTokenTimeoutMs: number;
  streamIdleTimeoutMs: number;
  requestBudgetMs: number;
  timeoutCooldownMs: number;
  retryWaitMs: number;
  circuitFailureThreshold: number;
  circuitMinOpenMs: number;
  circuitMaxOpenMs: number;
  probeFirstTokenTimeoutMs: number;
  backgroundProbes: 'free' | 'all' | 'off';
  normalizeResponses: boolean;
  midStreamFailureThreshold: number;
  midStreamCooldownMs: number;
  midStreamCooldownMaxMs: number;
  queueMode: boolean;
  queueMaxWaitMs: number;
  queueMaxSize: number;
  /** Beyond this Retry-After (ms), an exhausted chain's 429 also says `x-should-retry: false`. */
  clientRetryMaxWaitMs: number;
  allowUnlistedModels: boolean;
  unlistedModelLimit: number;
  streamEventLimitBytes: number;
}

/** One API key of a provider. The value never leaves the engine. */
export interface ProviderKey {
  /** The secret itself. */
  value: string;
  /** Short non-secret hash of the key; a new key gets a new fingerprint (and fresh state). */
  fingerprint: string;
  /** Position in the provider's key list, from 1. */
  index: number;
  /** Display form: `key 1 (…a1b2)`. */
  label: string;
}

/** A provider with its preset and keys resolved. */
export interface ResolvedProvider {
  id: string;
  name: string;
  type: string;
  preset: ProviderPreset;
  baseUrl: string;
  keys: ProviderKey[];
  timeoutMs: number;
  /** Largest upstream SSE event held while it arrives (`settings.streamEventLimitBytes`). */
  streamEventLimitBytes: number;
  headers: Record<string, string>;
  rateLimits: RateLimitsConfig | undefined;
  /** Models `provider/model` may address: the provider's `models` (else its preset's suggestions) and every model a chain names for it. */
  models: Set<string>;
}

/** A chain entry bound to its provider. */
export interface ResolvedEntry {
  provider: ResolvedProvider;
  model: string;
  capabilities: Capabilities;
  rateLimits: Omit<RateLimitsConfig, 'scope'> | undefined;
  /** Its tier in an `expiring-first` chain. */
  tier: number;
}

/** A chain with its entries resolved. */
export interface ResolvedChain {
  name: string;
  kind: 'chat' | 'embedding';
  /** How its entries are ordered for each request. */
  strategy: 'ordered' | 'expiring-first';
  entries: ResolvedEntry[];
}

/** Everything the engine routes with, built once per config. */
export interface ResolvedConfig {
  settings: EngineSettings;
  providers: Map<string, ResolvedProvider>;
  chains: Map<string, ResolvedChain>;
  /** Removes every provider key and header value from a text. */
  redact: Redact;
  /** `settings.modelAliases`, compiled, in the config's order. */
  aliases: ModelAlias[];
  /**
   * `provider/model` names outside {@link ResolvedProvider.models} that were let through
   * (`settings.allowUnlistedModels`), at most `settings.unlistedModelLimit` of them.
   */
  unlistedModels: Set<string>;
}

/** Applies defaults and binds presets (the built-in ones and `presets`) and keys. The config must already be valid. */
export function resolveConfig(config: ChainConfig, presets: readonly ProviderPreset[] = []): ResolvedConfig {
  const settings = config.settings ?? {};
  const engineSettings: EngineSettings = {
    defaultChain: settings.defaultChain,
    cooldownDefaultMs: settings.cooldownDefaultMs ?? 60_000,
    requestTimeoutMs: settings.requestTimeoutMs ?? 30_000,
    firstTokenTimeoutMs: settings.firstTokenTimeoutMs ?? 15_000,
    streamIdleTimeoutMs: settings.streamIdleTimeoutMs ?? 30_000,
    requestBudgetMs: settings.requestBudgetMs ?? 60_000,
    timeoutCooldownMs: settings.timeoutCooldownMs ?? 15_000,
    retryWaitMs: settings.retryWaitMs ?? 0,
    circuitFailureThreshold: settings.circuitFailureThreshold ?? 3,
    circuitMinOpenMs: settings.circuitMinOpenMs ?? 2_000,
    circuitMaxOpenMs: settings.circuitMaxOpenMs ?? 60_000,
    probeFirstTokenTimeoutMs: settings.probeFirstTokenTimeoutMs ?? 5_000,
    backgroundProbes: settings.backgroundProbes ?? 'free',
    normalizeResponses: settings.normalizeResponses ?? false,
    midStreamFailureThreshold: settings.midStreamFailureThreshold ?? 3,
    midStreamCooldownMs: settings.midStreamCooldownMs ?? 120_000,
    midStreamCooldownMaxMs: settings.midStreamCooldownMaxMs ?? 1_800_000,
    queueMode: settings.queueMode ?? false,
    queueMaxWaitMs: settings.queueMaxWaitMs ?? 120_000,
    queueMaxSize: settings.queueMaxSize ?? 100,
    clientRetryMaxWaitMs: settings.clientRetryMaxWaitMs ?? 10_000,
    allowUnlistedModels: settings.allowUnlistedModels ?? false,
    unlistedModelLimit: settings.unlistedModelLimit ?? 100,
    streamEventLimitBytes: settings.streamEventLimitBytes ?? 16 * 1024 * 1024,
  };

  const providers = new Map<string, ResolvedProvider>();
  for (const provider of config.providers) {
    const preset = resolvePreset(provider.type, presets);
    if (!preset) throw new Error(`unknown provider type "${provider.type}" (validate the config first)`);
    const values = provider.apiKeys ?? (provider.apiKey !== undefined ? [provider.apiKey] : ['']);
    const baseUrl = (provider.baseUrl ?? preset.baseUrl ?? '')
      .replace('{account}', provider.accountId ?? '')
      .replace(/\/+$/, '');
    providers.set(provider.id, {
      id: provider.id,
      name: provider.name ?? preset.name,
      type: provider.type,
      preset,
      baseUrl,
      keys: values.map((value, position) => describeKey(value, position)),
      timeoutMs: provider.timeout ?? engineSettings.requestTimeoutMs,
      streamEventLimitBytes: engineSettings.streamEventLimitBytes,
      headers: provider.headers ?? {},
      rateLimits: provider.rateLimits,
      models: new Set(provider.models ?? preset.suggestedModels),
    });
  }

  const chains = new Map<string, ResolvedChain>();
  for (const chain of config.chains) {
    chains.set(chain.name, {
      name: chain.name,
      kind: chain.kind ?? 'chat',
      strategy: chain.strategy ?? 'ordered',
      entries: chain.entries.map((entry) => {
        const provider = providers.get(entry.provider)!;
        provider.models.add(entry.model);
        return {
          provider,
          model: entry.model,
          capabilities: entry.capabilities ?? {},
          rateLimits: entry.rateLimits,
          tier: entry.tier ?? 1,
        };
      }),
    });
  }
  const secrets = [...providers.values()].flatMap((provider) => [
    ...provider.keys.map((key) => key.value),
    ...Object.values(provider.headers),
    ...urlCredentials(provider.baseUrl),
  ]);
  return {
    settings: engineSettings,
    providers,
    chains,
    redact: createRedactor(secrets),
    aliases: compileAliases(settings.modelAliases),
    unlistedModels: new Set(),
  };
}

/** The password of a URL with credentials (`https://user:secret@host`), as a secret to redact. */
function urlCredentials(url: string): string[] {
  try {
    const { password } = new URL(url);
    return password ? [decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

function describeKey(value: string, position: number): ProviderKey {
  const tail = value.length >= 12 ? value.slice(-4) : '';
  return {
    value,
    fingerprint: fingerprintOf(value),
    index: position + 1,
    label: tail ? `key ${position + 1} (…${tail})` : `key ${position + 1}`,
  };
}

/** FNV-1a, 32 bits, hex: a short stable id for a key; 32 bits of a long random key reveal nothing useful. */
export function fingerprintOf(value: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
