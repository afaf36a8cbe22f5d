import type { ProviderPreset } from '../provider-preset.ts';
import { cerebras } from './cerebras.ts';
import { cloudflare } from './cloudflare.ts';
import { cohere } from './cohere.ts';
import { deepinfra } from './deepinfra.ts';
import { deepseek } from './deepseek.ts';
import { fireworks } from './fireworks.ts';
import { gemini } from './gemini.ts';
import { generic } from './generic.ts';
import { github } from './github.ts';
import { groq } from './groq.ts';
import { huggingface } from './huggingface.ts';
import { mistral } from './mistral.ts';
import { nvidia } from './nvidia.ts';
import { ollama } from './ollama.ts';
import { openai } from './openai.ts';
import { openrouter } from './openrouter.ts';
import { sambanova } from './sambanova.ts';
import { together } from './together.ts';

export {
  cerebras,
  cloudflare,
  cohere,
  deepinfra,
  deepseek,
  fireworks,
  gemini,
  generic,
  github,
  groq,
  huggingface,
  mistral,
  nvidia,
  ollama,
  openai,
  openrouter,
  sambanova,
  together,
};

/** Every preset by id (the config's provider `type`). */
export const presets: Readonly<Record<string, ProviderPreset>> = Object.freeze(
  Object.fromEntries(
    [
      openai,
      groq,
      cerebras,
      openrouter,
      gemini,
      mistral,
      github,
      sambanova,
      cloudflare,
      nvidia,
      together,
      huggingface,
      cohere,
      deepseek,
      fireworks,
      deepinfra,
      ollama,
      generic,
    ].map((preset) => [preset.id, preset]),
  ),
);

/** Type names of the original 429chain v1 config, mapped to preset ids. */
export const presetAliases: Readonly<Record<string, string>> = Object.freeze({
  'generic-openai': 'generic',
  'google-ai': 'gemini',
});

/**
 * Finds a preset by id or v1 alias, ignoring case; `undefined` when there is none. `extra` are an
 * embedder's own presets (`createChain({ presets })`): they come first, so one may also replace
 * a built-in preset of the same id.
 */
export function resolvePreset(
  type: string,
  extra: readonly ProviderPreset[] = [],
): ProviderPreset | undefined {
  const name = type.trim().toLowerCase();
  const own = extra.find((preset) => preset.id.toLowerCase() === name);
  if (own) return own;
  const id = Object.hasOwn(presetAliases, name) ? presetAliases[name] : name;
  return id !== undefined && Object.hasOwn(presets, id) ? presets[id] : undefined;
}

/** Every preset id a config may name: the built-in ones and an embedder's own. */
export function presetIds(extra: readonly ProviderPreset[] = []): string[] {
  return [...new Set([...Object.keys(presets), ...extra.map((preset) => preset.id)])];
}
