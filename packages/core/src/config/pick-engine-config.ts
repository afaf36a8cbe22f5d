import { type ChainConfig, engineSettingsSchema } from './config-schema.ts';

const engineSettingKeys: ReadonlySet<string> = new Set(Object.keys(engineSettingsSchema.shape));

/**
 * The engine's part of a config that carries more settings than the engine reads (the
 * server's config file, with its port, keys and database): the same providers and chains,
 * and only the settings `createChain()` takes. Hand the result to `createChain()` or
 * `chain.update()`.
 */
export function pickEngineConfig(config: ChainConfig): ChainConfig {
  const { settings, ...rest } = config;
  if (settings === undefined) return rest;
  const engine = Object.fromEntries(Object.entries(settings).filter(([key]) => engineSettingKeys.has(key)));
  return { ...rest, settings: engine };
}
