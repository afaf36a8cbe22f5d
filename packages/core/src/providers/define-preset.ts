import { classifyFailure } from './classify-failure.ts';
import type { ProviderPreset, ProviderPresetSettings } from './provider-preset.ts';

/**
 * A provider preset from its settings: the built-in presets are written with it, and so can an
 * embedder's own (`createChain({ presets: [definePreset({ id: 'acme', … })] })`). A preset
 * without its own `classify` reads errors with the shared classifier.
 */
export function definePreset(settings: ProviderPresetSettings): ProviderPreset {
  return { ...settings, classify: settings.classify ?? ((answer) => classifyFailure(answer)) };
}
