import type { ProviderPreset } from './provider-preset.ts';

/** Renders the presets as the markdown table in docs/providers.md (a test keeps the file in sync). */
export function describePresets(presets: readonly ProviderPreset[]): string {
  const rows = presets.map((preset) => {
    const buckets =
      preset.headerBuckets.length === 0
        ? 'none'
        : preset.headerBuckets
            .map((bucket) => `${bucket.kind}/${bucket.window} (${bucket.scope})`)
            .join(', ');
    const notes = [
      preset.dailyReset === 'pacific' ? 'daily reset: midnight Pacific' : undefined,
      preset.chargesMaxTokensUpfront ? 'charges max_tokens up front' : undefined,
      preset.acceptsStreamOptions === false ? 'no stream_options' : undefined,
      preset.rateLimited === false ? 'never cooled down' : undefined,
      preset.keyRequired === false ? 'key optional' : undefined,
    ].filter(Boolean);
    return `| \`${preset.id}\` | ${preset.name} | ${preset.baseUrl ? `\`${preset.baseUrl}\`` : '(required)'} | ${
      preset.envKeys.map((name) => `\`${name}\``).join(', ') || '—'
    } | ${buckets} | ${preset.suggestedModels[0] ? `\`${preset.suggestedModels[0]}\`` : '—'} | ${notes.join('; ') || '—'} |`;
  });
  return [
    '| type | name | base URL | key from | buckets read from headers | default model | notes |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
