import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { type ChainConfig, ConfigError, parseConfig } from '@429chain/core';
import { Document, isMap, isSeq, parseDocument } from 'yaml';
import { expandEnv } from './expand-env.ts';

/** A config document: YAML (comments kept on edits) or JSON. */
export type ConfigFormat = 'yaml' | 'json';

/** One edit to a config document, applied at a path of the raw (unexpanded) document. */
export type ConfigEdit = (document: Document) => void;

/** Options of {@link ConfigFile.load} and {@link ConfigFile.fromText}. */
export interface ConfigFileOptions {
  /** Environment for `${NAME}` references. @default process.env */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * A config file on disk, or in memory. It validates with core's schema, expands
 * `${NAME}` references from the environment, applies admin edits to the raw
 * document so comments and references survive, and writes back atomically
 * (temp file + rename, mode 0600).
 */
export class ConfigFile {
  /** The file, or undefined for a config that lives only in memory. */
  readonly path: string | undefined;
  readonly format: ConfigFormat;
  #document: Document;
  #config: ChainConfig;
  readonly #env: Record<string, string | undefined>;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(input: {
    path: string | undefined;
    format: ConfigFormat;
    document: Document;
    config: ChainConfig;
    env: Record<string, string | undefined>;
  }) {
    this.path = input.path;
    this.format = input.format;
    this.#document = input.document;
    this.#config = input.config;
    this.#env = input.env;
  }

  /** Reads and validates a YAML or JSON file. Throws ConfigError naming each problem's path. */
  static async load(path: string, options: ConfigFileOptions = {}): Promise<ConfigFile> {
    const text = await readFile(path, 'utf8');
    return ConfigFile.fromText(text, { ...options, path });
  }

  /** Parses config text (YAML or JSON) without a file, or for a given path. */
  static fromText(text: string, options: ConfigFileOptions & { path?: string | undefined } = {}): ConfigFile {
    const format: ConfigFormat =
      options.path && extname(options.path).toLowerCase() === '.json' ? 'json' : 'yaml';
    const env = options.env ?? process.env;
    const document = parseDocument(text, { prettyErrors: true, keepSourceTokens: false });
    if (document.errors.length > 0) {
      throw new ConfigError(
        document.errors.map((error) => ({
          path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '',
          message: error.message.split('\n')[0] ?? error.message,
        })),
        { source: options.path },
      );
    }
    const config = validate(document, env, options.path);
    return new ConfigFile({ path: options.path, format, document, config, env });
  }

  /** Wraps a config object built in code (no file). */
  static fromObject(value: unknown, options: ConfigFileOptions = {}): ConfigFile {
    const document = new Document(value);
    const env = options.env ?? process.env;
    return new ConfigFile({
      path: undefined,
      format: 'yaml',
      document,
      config: validate(document, env),
      env,
    });
  }

  /** The validated config with `${NAME}` references expanded. */
  get config(): ChainConfig {
    return this.#config;
  }

  /** The raw document as plain data (references not expanded), for masked views. */
  raw(): Record<string, unknown> {
    return (this.#document.toJS() ?? {}) as Record<string, unknown>;
  }

  /** Whether edits reach a file. */
  get persisted(): boolean {
    return this.path !== undefined;
  }

  /**
   * Applies edits to a copy of the document, validates the result, writes it back
   * (when there is a file) and only then makes it current. Edits run one at a time.
   * Throws ConfigError, leaving file and config untouched, when the result is invalid.
   */
  edit(...edits: ConfigEdit[]): Promise<ChainConfig> {
    const run = this.#queue.then(async () => {
      const draft = this.#document.clone();
      for (const edit of edits) edit(draft);
      const config = validate(draft, this.#env, this.path);
      if (this.path) await writeAtomically(this.path, this.#render(draft));
      this.#document = draft;
      this.#config = config;
      return config;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The document as file text. */
  #render(document: Document): string {
    if (this.format === 'json') return `${JSON.stringify(document.toJS(), null, 2)}\n`;
    return document.toString({ lineWidth: 0 });
  }
}

function validate(document: Document, env: Record<string, string | undefined>, source?: string): ChainConfig {
  const { value, issues } = expandEnv(document.toJS() ?? {}, env);
  if (issues.length > 0) throw new ConfigError(issues, { source });
  return parseConfig(value, { source });
}

/** Writes a file so that readers see the old or the new content, never a part: temp file, fsync, rename. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Finds the index of the item of a sequence at `listKey` whose `field` equals `value`. */
export function indexIn(document: Document, listKey: string, field: string, value: string): number {
  const list = document.get(listKey);
  if (!isSeq(list)) return -1;
  return list.items.findIndex((item) => isMap(item) && item.get(field) === value);
}
