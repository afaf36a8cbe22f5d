import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import {
  ChainError,
  ConfigError,
  type ConfigIssue,
  type Logger,
  sortIssues,
  uniqueIssues,
} from '@429chain/core';
import { Document, isMap, isSeq, parseDocument } from 'yaml';
import { expandEnv } from './expand-env.ts';
import { explainFileError } from './explain-file-error.ts';
import { parseServerConfig, type ServerConfig } from './server-config-schema.ts';

/** A config document: YAML (comments kept on edits) or JSON. */
export type ConfigFormat = 'yaml' | 'json';

/** One edit to a config document, applied at a path of the raw (unexpanded) document. */
export type ConfigEdit = (document: Document) => void;

/** Options of {@link ConfigFile.load} and {@link ConfigFile.fromText}. */
export interface ConfigFileOptions {
  /** Environment for `${NAME}` references. @default process.env */
  env?: Record<string, string | undefined> | undefined;
  /** Told when a hand edit of the file is picked up, and when a write-back fails. @default silent */
  logger?: Logger | undefined;
}

/** An admin edit could not be written back to the config file (permissions, read-only disk). */
export class ConfigWriteError extends ChainError {
  override name = 'ConfigWriteError';
  constructor(message: string, cause: unknown) {
    super(message, { status: 500, code: 'config_not_writable', type: 'api_error', cause });
  }
}

/** The file was changed by hand since it was read and is not valid now; the edit was not applied. */
export class ConfigConflictError extends ChainError {
  override name = 'ConfigConflictError';
  readonly issues: ConfigIssue[];
  constructor(path: string, issues: ConfigIssue[]) {
    super(
      `The config file ${path} was changed since the server read it, and is not valid as it is now, so the edit was not applied: fix the file (see issues), then retry.`,
      { status: 409, code: 'config_changed_on_disk', type: 'conflict_error' },
    );
    this.issues = issues;
  }

  protected override extraFields(): Record<string, unknown> {
    return { issues: this.issues };
  }
}

/**
 * A config file on disk, or in memory. It validates with the server's schema, expands
 * `${NAME}` references from the environment, applies admin edits to the raw
 * document so comments and references survive, and writes back atomically
 * (temp file + rename, mode 0600).
 */
export class ConfigFile {
  /** The file, or undefined for a config that lives only in memory. */
  readonly path: string | undefined;
  readonly format: ConfigFormat;
  #document: Document;
  #config: ServerConfig;
  readonly #env: Record<string, string | undefined>;
  readonly #logger: Logger | undefined;
  /** Digest of the file's text as last read or written, to notice hand edits. */
  #digest: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(input: {
    path: string | undefined;
    format: ConfigFormat;
    document: Document;
    config: ServerConfig;
    env: Record<string, string | undefined>;
    text?: string | undefined;
    logger?: Logger | undefined;
  }) {
    this.path = input.path;
    this.format = input.format;
    this.#document = input.document;
    this.#config = input.config;
    this.#env = input.env;
    this.#logger = input.logger;
    this.#digest = input.text === undefined ? undefined : digestOf(input.text);
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
    const syntax = format === 'json' ? jsonSyntaxIssues(text, document) : yamlSyntaxIssues(document);
    if (syntax.length > 0) throw new ConfigError(syntax, { source: options.path });
    const config = validate(document, env, options.path);
    return new ConfigFile({
      path: options.path,
      format,
      document,
      config,
      env,
      text,
      logger: options.logger,
    });
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

  /** The validated config with `${NAME}` references expanded (engine and server settings). */
  get config(): ServerConfig {
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
   *
   * A file changed by hand since it was read is not overwritten with the old document: the
   * edit is applied on top of the file as it is now (and the engine gets the hand edit too),
   * or, when the file is not valid now, refused with a {@link ConfigConflictError} (409).
   * A file that cannot be written gives a {@link ConfigWriteError} that says why and where.
   */
  edit(...edits: ConfigEdit[]): Promise<ServerConfig> {
    const run = this.#queue.then(async () => {
      const base = this.path ? await this.#currentDocument(this.path) : this.#document;
      const draft = base.clone();
      for (const edit of edits) edit(draft);
      const config = validate(draft, this.#env, this.path);
      if (this.path) {
        const text = this.#render(draft);
        try {
          await writeAtomically(this.path, text);
        } catch (error) {
          const explained = explainFileError(error, 'write');
          const message = `The edit was not saved: ${explained ?? `cannot write ${this.path}: ${error instanceof Error ? error.message : String(error)}`}`;
          this.#logger?.error('config write-back failed', { path: this.path, error: message });
          throw new ConfigWriteError(message, error);
        }
        this.#digest = digestOf(text);
      }
      this.#document = draft;
      this.#config = config;
      return config;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The document to edit: the one in memory, or the file's, when it was changed by hand since. */
  async #currentDocument(path: string): Promise<Document> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.#document;
      throw new ConfigWriteError(
        `The edit was not saved: ${explainFileError(error, 'read') ?? String(error)}`,
        error,
      );
    }
    if (digestOf(text) === this.#digest) return this.#document;
    let fresh: ConfigFile;
    try {
      fresh = ConfigFile.fromText(text, { path, env: this.#env });
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigConflictError(path, error.issues);
      throw error;
    }
    this.#logger?.warn('the config file was changed by hand; the admin edit is applied on top of it', {
      path,
    });
    return fresh.#document;
  }

  /** The document as file text. */
  #render(document: Document): string {
    if (this.format === 'json') return `${JSON.stringify(document.toJS(), null, 2)}\n`;
    return document.toString({ lineWidth: 0 });
  }
}

/**
 * Expands `${NAME}` references and validates, reporting every problem at once: a missing
 * variable and a schema or reference problem elsewhere come in the same error, each once.
 */
function validate(
  document: Document,
  env: Record<string, string | undefined>,
  source?: string,
): ServerConfig {
  const raw = document.toJS() ?? {};
  const { value, issues: envIssues } = expandEnv(raw, env);
  let config: ServerConfig | undefined;
  let parseIssues: ConfigIssue[] = [];
  try {
    config = parseServerConfig(value, { source });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    parseIssues = error.issues;
  }
  if (envIssues.length === 0 && config) return config;
  // An unset variable leaves an empty string behind: the schema's complaint about it says nothing new.
  const unset = new Set(envIssues.map((issue) => issue.path));
  const issues = [...envIssues, ...parseIssues.filter((issue) => !unset.has(issue.path))];
  throw new ConfigError(sortIssues(uniqueIssues(issues), raw), { source });
}

/** YAML syntax errors, one per position, as `line 5, column 1: <what is wrong>`. */
function yamlSyntaxIssues(document: Document): ConfigIssue[] {
  return uniqueIssues(
    document.errors.map((error) => ({
      path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '',
      // prettyErrors appends " at line L, column C:" and a code excerpt; the path says where.
      message: (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, ''),
    })),
  );
}

/**
 * A JSON file's syntax error in JSON's own words (`line 2, column 6: invalid JSON: unexpected
 * token '}'`). The position comes from the runtime's message when it gives one, else from
 * the YAML parser, which reads JSON too.
 */
function jsonSyntaxIssues(text: string, document: Document): ConfigIssue[] {
  try {
    JSON.parse(text);
    return [];
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    let line: number | undefined;
    let column: number | undefined;
    const located = / in JSON at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
    if (located) {
      message = message.slice(0, located.index);
      if (located[2] !== undefined) {
        line = Number(located[2]);
        column = Number(located[3]);
      } else {
        const before = text.slice(0, Number(located[1])).split('\n');
        line = before.length;
        column = before.at(-1)!.length + 1;
      }
    }
    // "Unexpected token '}', "…excerpt…" is not valid JSON": the excerpt repeats the file.
    message = message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '');
    if (line === undefined && document.errors[0]?.linePos) {
      line = document.errors[0].linePos[0].line;
      column = document.errors[0].linePos[0].col;
    }
    const detail = `invalid JSON: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
    return [{ path: line === undefined ? '' : `line ${line}, column ${column}`, message: detail }];
  }
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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
