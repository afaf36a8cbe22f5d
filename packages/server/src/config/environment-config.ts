import { presets } from '@429chain/core';

/** Free tiers first; providers that bill per token last. */
const preferredOrder = [
  'groq',
  'cerebras',
  'gemini',
  'openrouter',
  'mistral',
  'github',
  'sambanova',
  'nvidia',
  'cloudflare',
  'together',
  'huggingface',
  'cohere',
  'deepseek',
  'fireworks',
  'deepinfra',
  'openai',
];

/**
 * Builds a config from provider keys found in the usual environment variables
 * (GROQ_API_KEY, CEREBRAS_API_KEY, OPENROUTER_API_KEY, GEMINI_API_KEY, …): one provider
 * per key found and a `default` chain over their suggested models, free tiers first.
 * Keys stay `${NAME}` references, so the config never holds them. Returns undefined when
 * no key is set.
 */
export function configFromEnvironment(
  env: Record<string, string | undefined>,
): Record<string, unknown> | undefined {
  const providers: Array<Record<string, unknown>> = [];
  const entries: Array<Record<string, unknown>> = [];
  for (const id of preferredOrder) {
    const preset = presets[id];
    if (!preset) continue;
    const variable = preset.envKeys.find((name) => env[name]);
    if (!variable) continue;
    const provider: Record<string, unknown> = { id, type: id, apiKey: envReference(variable) };
    if (preset.baseUrl?.includes('{account}')) {
      if (!env.CLOUDFLARE_ACCOUNT_ID) continue;
      provider.accountId = envReference('CLOUDFLARE_ACCOUNT_ID');
    }
    providers.push(provider);
    const model = preset.suggestedModels[0];
    if (model) entries.push({ provider: id, model });
  }
  if (entries.length === 0) return undefined;
  return {
    version: 1,
    settings: { defaultChain: 'default' },
    providers,
    chains: [{ name: 'default', entries }],
  };
}

/** `${NAME}`: a reference the config expands from the environment when it is read. */
function envReference(name: string): string {
  return `\${${name}}`;
}
