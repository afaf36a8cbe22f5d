import { resolvePreset } from '../providers/presets/index.ts';
import type { ProviderPreset } from '../providers/provider-preset.ts';
import type { Capabilities, ChainConfig, RateLimitsConfig } from './config-schema.ts';
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
  circuitCooldownMs: number;
  normalizeResponses: boolean;
  midStreamFailureThreshold: number;
  midStreamCooldownMs: number;
  midStreamCooldownMaxMs: number;
  queueMode: boolean;
  queueMaxWaitMs: number;
  queueMaxSize: number;
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
  headers: Record<string, string>;
  rateLimits: RateLimitsConfig | undefined;
}

/** A chain entry bound to its provider. */
export interface ResolvedEntry {
  provider: ResolvedProvider;
  model: string;
  capabilities: Capabilities;
  rateLimits: Omit<RateLimitsConfig, 'scope'> | undefined;
}

/** A chain with its entries resolved. */
export interface ResolvedChain {
  name: string;
  kind: 'chat' | 'embedding';
  entries: ResolvedEntry[];
}

/** Everything the engine routes with, built once per config. */
export interface ResolvedConfig {
  settings: EngineSettings;
  providers: Map<string, ResolvedProvider>;
  chains: Map<string, ResolvedChain>;
  /** Removes every provider key and header value from a text. */
  redact: Redact;
}

/** Applies defaults and binds presets and keys. The config must already be valid. */
export function resolveConfig(config: ChainConfig): ResolvedConfig {
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
    circuitCooldownMs: settings.circuitCooldownMs ?? 30_000,
    normalizeResponses: settings.normalizeResponses ?? false,
    midStreamFailureThreshold: settings.midStreamFailureThreshold ?? 3,
    midStreamCooldownMs: settings.midStreamCooldownMs ?? 120_000,
    midStreamCooldownMaxMs: settings.midStreamCooldownMaxMs ?? 1_800_000,
    queueMode: settings.queueMode ?? false,
    queueMaxWaitMs: settings.queueMaxWaitMs ?? 120_000,
    queueMaxSize: settings.queueMaxSize ?? 100,
  };

  const providers = new Map<string, ResolvedProvider>();
  for (const provider of config.providers) {
    const preset = resolvePreset(provider.type);
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
      headers: provider.headers ?? {},
      rateLimits: provider.rateLimits,
    });
  }

  const chains = new Map<string, ResolvedChain>();
  for (const chain of config.chains) {
    chains.set(chain.name, {
      name: chain.name,
      kind: chain.kind ?? 'chat',
      entries: chain.entries.map((entry) => ({
        provider: providers.get(entry.provider)!,
        model: entry.model,
        capabilities: entry.capabilities ?? {},
        rateLimits: entry.rateLimits,
      })),
    });
  }
  const secrets = [...providers.values()].flatMap((provider) => [
    ...provider.keys.map((key) => key.value),
    ...Object.values(provider.headers),
  ]);
  return { settings: engineSettings, providers, chains, redact: createRedactor(secrets) };
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
