import { describe, expect, it } from 'vitest';
import { createChain } from '../create-chain.ts';
import { ConfigError } from '../errors.ts';
import type { ChainConfig, ChainConfigInput } from './config-schema.ts';
import { pickEngineConfig } from './pick-engine-config.ts';

/** The engine's config takes engine settings only; the proxy's own belong to the server's config file. */

const providers = [{ id: 'groq', type: 'groq', apiKey: 'gsk_engine_settings_test_0001' }];
const chains = [{ name: 'fast', entries: [{ provider: 'groq', model: 'llama-3.1-8b-instant' }] }];

/** The ConfigError createChain() throws for `config`. */
function configErrorOf(config: unknown): ConfigError {
  let thrown: unknown;
  expect(() => {
    try {
      createChain(config as ChainConfigInput);
    } catch (error) {
      thrown = error;
      throw error;
    }
  }).toThrow(ConfigError);
  return thrown as ConfigError;
}

describe('createChain() settings', () => {
  it('refuses a server setting with a config error naming settings.port', () => {
    const error = configErrorOf({ providers, chains, settings: { port: 1 } });

    expect(error.code).toBe('invalid_config');
    expect(error.issues).toEqual([
      { path: 'settings.port', message: expect.stringContaining('not an engine setting') },
    ]);
    expect(error.message).toContain('settings.port: unknown key "port": not an engine setting');
  });

  it('names every server setting it was given, each by its path', () => {
    const error = configErrorOf({
      providers,
      chains,
      settings: {
        defaultChain: 'fast',
        apiKeys: ['client-key-0001'],
        dbPath: './x.db',
        store: { type: 'memory' },
      },
    });

    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'settings.apiKeys',
      'settings.dbPath',
      'settings.store',
    ]);
    expect(JSON.stringify(error.toJSON())).not.toContain('client-key-0001');
  });

  it('still suggests the engine setting a typo resembles', () => {
    const error = configErrorOf({ providers, chains, settings: { defaultChian: 'fast' } });

    expect(error.issues).toEqual([
      { path: 'settings.defaultChian', message: 'unknown key "defaultChian" (did you mean "defaultChain"?)' },
    ]);
  });
});

describe('pickEngineConfig', () => {
  it('keeps providers, chains and engine settings, and drops what only the server reads', async () => {
    const fileConfig = {
      version: 1,
      providers,
      chains,
      settings: { port: 3429, apiKeys: ['client-key-0002'], defaultChain: 'fast', queueMode: true },
    } as unknown as ChainConfig;

    const engine = pickEngineConfig(fileConfig);
    const chain = createChain(engine);

    expect(engine).toEqual({
      version: 1,
      providers,
      chains,
      settings: { defaultChain: 'fast', queueMode: true },
    });
    expect(chain.config().settings).toEqual({ defaultChain: 'fast', queueMode: true });
    expect(pickEngineConfig({ providers: [], chains: [] })).toEqual({ providers: [], chains: [] });
    await chain.close();
  });
});
