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

/** Finds a preset by id or v1 alias, ignoring case; `undefined` when there is none. */
export function resolvePreset(type: string): ProviderPreset | undefined {
  const name = type.trim().toLowerCase();
  const id = Object.hasOwn(presetAliases, name) ? presetAliases[name] : name;
  return id !== undefined && Object.hasOwn(presets, id) ? presets[id] : undefined;
}
