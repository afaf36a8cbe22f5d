import { presets, type RateLimits } from '@429chain/core';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import { formatLimits } from '../format/format-limits.ts';

/** A preset as `providers --json` prints it. */
export interface ProviderListing {
  /** The config's provider `type`. */
  id: string;
  name: string;
  /** Default base URL; null when the user gives one (`generic`). `{account}` is the provider's accountId. */
  baseUrl: string | null;
  /** Environment variables that usually hold its key, first wins. */
  envKeys: string[];
  /** Models to offer first; the first is the default. */
  suggestedModels: string[];
  keyRequired: boolean;
  /** Published free-tier limits, when known. */
  knownLimits: RateLimits | null;
  /** Where daily quotas reset. */
  dailyReset: string;
}

/** Every preset, in the order core lists them. */
export function listProviders(): ProviderListing[] {
  return Object.values(presets).map((preset) => ({
    id: preset.id,
    name: preset.name,
    baseUrl: preset.baseUrl ?? null,
    envKeys: [...preset.envKeys],
    suggestedModels: [...preset.suggestedModels],
    keyRequired: preset.keyRequired !== false,
    knownLimits: preset.knownLimits ? { ...preset.knownLimits } : null,
    dailyReset: preset.dailyReset ?? 'utc',
  }));
}

/** `429chain providers`: the provider presets a config can name as `type`. */
export function registerProvidersCommand(program: Command, context: CliContext): void {
  program
    .command('providers')
    .description('List the provider presets: base URL, key variables, suggested models, free-tier limits')
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain providers
  $ 429chain providers --json | jq -r '.[].id'

A provider's "type" in the config is one of these ids; "generic" is any
OpenAI-compatible server (give its baseUrl).`,
    )
    .action((options: { json?: boolean }) => {
      const listing = listProviders();
      if (options.json) {
        context.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      const { palette } = context;
      const lines: string[] = [];
      for (const provider of listing) {
        lines.push(`${palette.bold(provider.id.padEnd(12))}${provider.name}`);
        lines.push(`  base URL:    ${provider.baseUrl ?? 'none (set baseUrl)'}`);
        const keys = provider.envKeys.join(', ') || '-';
        lines.push(
          `  key:         ${provider.keyRequired ? keys : `optional${keys === '-' ? '' : ` (${keys})`}`}`,
        );
        lines.push(`  models:      ${provider.suggestedModels.join(', ') || 'any (name them in the chain)'}`);
        lines.push(`  free tier:   ${formatLimits(provider.knownLimits ?? undefined)}`);
        lines.push('');
      }
      lines.push(palette.dim(`${listing.length} presets. Use an id as a provider's "type" in the config.`));
      context.stdout.write(`${lines.join('\n')}\n`);
    });
}
