import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { presets, resolvePreset } from '../providers/presets/index.ts';
import { type ChainConfig, configSchema } from './config-schema.ts';

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Where the config came from, for error messages (a file path). */
  source?: string | undefined;
}

/**
 * Validates a config object (parsed YAML or JSON, or an object in code) and checks
 * its cross-references. Throws a {@link ConfigError} listing every problem with
 * its path, e.g. `chains[1].entries[0].provider: unknown provider "grok"`.
 */
export function parseConfig(input: unknown, options: ParseConfigOptions = {}): ChainConfig {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(result.error.issues.flatMap(describeIssue), { source: options.source });
  }
  const issues = checkReferences(result.data);
  if (issues.length > 0) throw new ConfigError(issues, { source: options.source });
  return result.data;
}

/** Formats a path such as `['chains', 1, 'entries', 0]` as `chains[1].entries[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

function describeIssue(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = formatPath(issue.path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    // One issue per key, with the key in the path, so a typo points at itself.
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const hint = closestKey(key, known);
      return {
        path: formatPath([...issue.path, key]),
        message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
      };
    });
  }
  if (issue.code === 'invalid_type') {
    message = `expected ${issue.expected}, got ${describeValue(issue.input, path)}`;
  } else if ('input' in issue && issue.input !== undefined) {
    message = `${message} (got ${describeValue(issue.input, path)})`;
  }
  return [{ path, message }];
}

/** The keys the schema accepts for the object at `path` (for "did you mean" hints). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = configSchema;
  for (const part of [...path, undefined]) {
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
      schema = schema.unwrap() as z.ZodType;
    if (part === undefined) break;
    if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject) schema = schema.shape[String(part)] as z.ZodType | undefined;
    else return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The known key a typo most likely meant: same letters ignoring case, or at most two edits away. */
function closestKey(key: string, known: string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance =
      candidate.toLowerCase() === key.toLowerCase()
        ? 0
        : editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance))
      best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(from: string, to: string): number {
  let previous = Array.from({ length: to.length + 1 }, (_, index) => index);
  for (let row = 1; row <= from.length; row++) {
    const current = [row];
    for (let column = 1; column <= to.length; column++) {
      const substitution = previous[column - 1]! + (from[row - 1] === to[column - 1] ? 0 : 1);
      current.push(Math.min(previous[column]! + 1, current[column - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[to.length]!;
}

/** Shows a value in an error, except where it may be a secret. */
function describeValue(value: unknown, path: string): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (/key|secret|password|authorization|headers/i.test(path)) {
    const kind = Array.isArray(value) ? 'list' : typeof value;
    return `${kind === 'object' ? 'an' : 'a'} ${kind}`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function checkReferences(config: ChainConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const providerIds = new Set<string>();
  config.providers.forEach((provider, index) => {
    const at = `providers[${index}]`;
    if (providerIds.has(provider.id)) {
      issues.push({ path: `${at}.id`, message: `duplicate provider id "${provider.id}"` });
    }
    providerIds.add(provider.id);
    const preset = resolvePreset(provider.type);
    if (!preset) {
      issues.push({
        path: `${at}.type`,
        message: `unknown provider type "${provider.type}"; known types: ${Object.keys(presets).join(', ')}`,
      });
      return;
    }
    const hasKey = provider.apiKey !== undefined || provider.apiKeys !== undefined;
    if (!hasKey && preset.keyRequired !== false) {
      issues.push({ path: `${at}.apiKey`, message: `${preset.name} needs an API key (apiKey or apiKeys)` });
    }
    const baseUrl = provider.baseUrl ?? preset.baseUrl;
    if (baseUrl === undefined) {
      issues.push({ path: `${at}.baseUrl`, message: `type "${provider.type}" needs a baseUrl` });
    } else if (baseUrl.includes('{account}') && provider.accountId === undefined) {
      issues.push({ path: `${at}.accountId`, message: `${preset.name} needs an accountId for its base URL` });
    }
  });

  const chainNames = new Set<string>();
  config.chains.forEach((chain, chainIndex) => {
    if (chainNames.has(chain.name)) {
      issues.push({ path: `chains[${chainIndex}].name`, message: `duplicate chain name "${chain.name}"` });
    }
    chainNames.add(chain.name);
    chain.entries.forEach((entry, entryIndex) => {
      if (!providerIds.has(entry.provider)) {
        const known = [...providerIds].join(', ') || 'none';
        issues.push({
          path: `chains[${chainIndex}].entries[${entryIndex}].provider`,
          message: `unknown provider "${entry.provider}" (known providers: ${known})`,
        });
      }
    });
  });

  const defaultChain = config.settings?.defaultChain;
  if (defaultChain !== undefined && !chainNames.has(defaultChain)) {
    issues.push({
      path: 'settings.defaultChain',
      message: `unknown chain "${defaultChain}" (known chains: ${[...chainNames].join(', ') || 'none'})`,
    });
  }
  return issues;
}
