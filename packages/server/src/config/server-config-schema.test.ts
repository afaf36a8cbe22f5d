import { ConfigError } from '@429chain/core';
import { describe, expect, it } from 'vitest';
import { parseServerConfig } from './server-config-schema.ts';

const providers = [{ id: 'groq', type: 'groq', apiKey: 'gsk_server_schema_test_0001' }];
const chains = [{ name: 'fast', entries: [{ provider: 'groq', model: 'llama-3.1-8b-instant' }] }];

/** The ConfigError the server's schema refuses `input` with. */
function configErrorOf(input: unknown): ConfigError {
  const error = (() => {
    try {
      return parseServerConfig(input);
    } catch (caught) {
      return caught;
    }
  })();
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("the server's config file schema", () => {
  it('takes the engine settings and the server settings together', () => {
    const config = parseServerConfig({
      providers,
      chains,
      settings: { port: 8080, apiKeys: ['client-key-0001'], defaultChain: 'fast', store: { type: 'sqlite' } },
    });

    expect(config.settings).toEqual({
      port: 8080,
      apiKeys: ['client-key-0001'],
      defaultChain: 'fast',
      store: { type: 'sqlite' },
    });
  });

  it('reports a wrong-typed server setting with its path and the value', () => {
    const error = configErrorOf({ providers, chains, settings: { port: '3429' } });

    expect(error.issues).toEqual([{ path: 'settings.port', message: 'expected number, got "3429"' }]);
  });

  it('never echoes a client or admin key in a config error', () => {
    const secret = 'client-secret-must-not-leak';
    const error = configErrorOf({
      providers,
      chains,
      settings: { apiKeys: secret, adminKeys: [12345678, ''] },
    });
    const seen = JSON.stringify(error.issues) + error.message + JSON.stringify(error.toJSON());

    for (const value of [secret, '12345678']) expect(seen).not.toContain(value);
    expect(error.issues.find((issue) => issue.path === 'settings.apiKeys')?.message).toBe(
      'expected array, got a string',
    );
    expect(error.issues.find((issue) => issue.path === 'settings.adminKeys[0]')?.message).toBe(
      'expected string, got a number',
    );
  });

  it('still suggests the key a typo resembles, among engine and server settings', () => {
    const error = configErrorOf({ providers, chains, settings: { dbpath: './x.db' } });

    expect(error.issues).toEqual([
      { path: 'settings.dbpath', message: 'unknown key "dbpath" (did you mean "dbPath"?)' },
    ]);
  });
});
