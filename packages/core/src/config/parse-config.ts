import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { presetIds, resolvePreset } from '../providers/presets/index.ts';
import type { ProviderPreset } from '../providers/provider-preset.ts';
import { type ChainConfig, configSchema } from './config-schema.ts';

/** A config schema: the engine's ({@link configSchema}), or one that extends it (the server's config file). */
export type ConfigSchema = z.ZodType<ChainConfig>;

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions<Schema extends ConfigSchema = typeof configSchema> {
  /** Where the config came from, for error messages (a file path). */
  source?: string | undefined;
  /** Presets besides the built-in ones that a provider's `type` may name. @default none */
  presets?: readonly ProviderPreset[] | undefined;
  /**
   * The schema to validate with: one that extends the engine's, e.g. with the server's
   * settings. Under the engine's own schema, a setting it does not know is reported as
   * not an engine setting. @default configSchema
   */
  schema?: Schema | undefined;
}

/**
 * Validates a config object (parsed YAML or JSON, or an object in code) and checks
 * its cross-references. Throws a {@link ConfigError} listing every problem with
 * its path, e.g. `chains[1].entries[0].provider: unknown provider "grok"`.
 */
export function parseConfig<Schema extends ConfigSchema = typeof configSchema>(
  input: unknown,
  options: ParseConfigOptions<Schema> = {},
): z.output<Schema> {
  const schema: ConfigSchema = options.schema ?? configSchema;
  const result = schema.safeParse(input, { reportInput: true });
  const engineOnly = schema === configSchema;
  const schemaIssues = result.success
    ? []
    : result.error.issues.flatMap((issue) => describeIssue(issue, schema, engineOnly));
  // Cross-references are checked even when a value has the wrong type, so a file's every
  // problem is reported at once; where the schema already faulted a path, it alone speaks.
  const faulted = new Set(schemaIssues.map((issue) => issue.path));
  const referenceIssues = checkReferences(result.success ? result.data : input, options.presets ?? []).filter(
    (issue) => !faulted.has(issue.path),
  );
  const issues = uniqueIssues([...schemaIssues, ...referenceIssues]);
  if (issues.length > 0) throw new ConfigError(sortIssues(issues, input), { source: options.source });
  return (result as unknown as { data: z.output<Schema> }).data;
}

/** Issues without repeats (the same path and message once). */
export function uniqueIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Issues in the order their paths appear in the document: keys in the document's own order,
 * list items by index. Issues at paths the document does not have keep their order, last.
 */
export function sortIssues(issues: readonly ConfigIssue[], document: unknown): ConfigIssue[] {
  const rank = (path: string): number[] => {
    const ranks: number[] = [];
    let node: unknown = document;
    for (const part of parsePath(path)) {
      if (typeof part === 'number') {
        ranks.push(part);
        node = Array.isArray(node) ? node[part] : undefined;
      } else {
        const keys = typeof node === 'object' && node !== null ? Object.keys(node) : [];
        const position = keys.indexOf(part);
        ranks.push(position === -1 ? Number.MAX_SAFE_INTEGER : position);
        node = position === -1 ? undefined : (node as Record<string, unknown>)[part];
      }
    }
    return ranks;
  };
  const ranked = issues.map((issue, order) => ({ issue, order, ranks: rank(issue.path) }));
  ranked.sort((left, right) => {
    const length = Math.min(left.ranks.length, right.ranks.length);
    for (let index = 0; index < length; index++) {
      const difference = left.ranks[index]! - right.ranks[index]!;
      if (difference !== 0) return difference;
    }
    return left.ranks.length - right.ranks.length || left.order - right.order;
  });
  return ranked.map(({ issue }) => issue);
}

/** Splits `chains[1].entries[0]` into `['chains', 1, 'entries', 0]`. */
function parsePath(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return parts;
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

function describeIssue(issue: z.core.$ZodIssue, schema: ConfigSchema, engineOnly: boolean): ConfigIssue[] {
  const path = formatPath(issue.path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    // One issue per key, with the key in the path, so a typo points at itself.
    const known = knownKeysAt(schema, issue.path);
    const inSettings = engineOnly && path === 'settings';
    return issue.keys.map((key) => {
      const hint = closestKey(key, known);
      return {
        path: formatPath([...issue.path, key]),
        message: hint
          ? `unknown key "${key}" (did you mean "${hint}"?)`
          : inSettings
            ? `unknown key "${key}": not an engine setting (createChain() takes engine settings only; the proxy's own settings belong in the server's config file)`
            : `unknown key "${key}"`,
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
function knownKeysAt(root: ConfigSchema, path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = root;
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

/** Reads a list field of a value that may not have the right shape yet. */
function listAt(value: unknown, key: string): unknown[] {
  const list =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return Array.isArray(list) ? list : [];
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Checks what the schema cannot: unique ids and names, known preset types, keys and base
 * URLs each preset needs, and references between providers, chains and settings. It reads
 * the document defensively, so it also runs on a document the schema rejected.
 */
function checkReferences(config: unknown, extraPresets: readonly ProviderPreset[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const providerIds = new Set<string>();
  listAt(config, 'providers').forEach((provider, index) => {
    const at = `providers[${index}]`;
    const id = fieldOf(provider, 'id');
    if (typeof id === 'string') {
      if (providerIds.has(id)) issues.push({ path: `${at}.id`, message: `duplicate provider id "${id}"` });
      providerIds.add(id);
    }
    const type = fieldOf(provider, 'type');
    if (typeof type !== 'string') return;
    const preset = resolvePreset(type, extraPresets);
    if (!preset) {
      issues.push({
        path: `${at}.type`,
        message: `unknown provider type "${type}"; known types: ${presetIds(extraPresets).join(', ')}`,
      });
      return;
    }
    const hasKey = fieldOf(provider, 'apiKey') !== undefined || fieldOf(provider, 'apiKeys') !== undefined;
    if (!hasKey && preset.keyRequired !== false) {
      issues.push({ path: `${at}.apiKey`, message: `${preset.name} needs an API key (apiKey or apiKeys)` });
    }
    const baseUrl = fieldOf(provider, 'baseUrl') ?? preset.baseUrl;
    if (baseUrl === undefined) {
      issues.push({ path: `${at}.baseUrl`, message: `type "${type}" needs a baseUrl` });
    } else if (
      typeof baseUrl === 'string' &&
      baseUrl.includes('{account}') &&
      fieldOf(provider, 'accountId') === undefined
    ) {
      issues.push({ path: `${at}.accountId`, message: `${preset.name} needs an accountId for its base URL` });
    }
  });

  const chainNames = new Set<string>();
  listAt(config, 'chains').forEach((chain, chainIndex) => {
    const name = fieldOf(chain, 'name');
    if (typeof name === 'string') {
      if (chainNames.has(name)) {
        issues.push({ path: `chains[${chainIndex}].name`, message: `duplicate chain name "${name}"` });
      }
      chainNames.add(name);
    }
    listAt(chain, 'entries').forEach((entry, entryIndex) => {
      const provider = fieldOf(entry, 'provider');
      if (typeof provider === 'string' && provider !== '' && !providerIds.has(provider)) {
        const known = [...providerIds].join(', ') || 'none';
        issues.push({
          path: `chains[${chainIndex}].entries[${entryIndex}].provider`,
          message: `unknown provider "${provider}" (known providers: ${known})`,
        });
      }
    });
  });

  const defaultChain = fieldOf(fieldOf(config, 'settings'), 'defaultChain');
  if (typeof defaultChain === 'string' && defaultChain !== '' && !chainNames.has(defaultChain)) {
    issues.push({
      path: 'settings.defaultChain',
      message: `unknown chain "${defaultChain}" (known chains: ${[...chainNames].join(', ') || 'none'})`,
    });
  }
  const aliases = fieldOf(fieldOf(config, 'settings'), 'modelAliases');
  const aliasEntries = typeof aliases === 'object' && aliases !== null ? Object.entries(aliases) : [];
  for (const [pattern, target] of aliasEntries) {
    if (typeof target !== 'string') continue;
    const slash = target.indexOf('/');
    const known = chainNames.has(target) || (slash > 0 && providerIds.has(target.slice(0, slash)));
    if (!known) {
      issues.push({
        path: `settings.modelAliases.${pattern}`,
        message: `unknown chain or provider/model "${target}" (known chains: ${[...chainNames].join(', ') || 'none'})`,
      });
    }
  }
  return issues;
}
