/**
 * Test helpers for the server package: a REAL proxy started with `startServer` on
 * 127.0.0.1 (ephemeral port) from a config file written to a temporary directory,
 * loopback mock providers, fetch helpers that present the admin or client key and
 * remember every response text (to search them for secrets), an SSE reader, and
 * one teardown for all of it.
 *
 * Use: `afterEach(closeTestResources)` (or `afterAll`), then `startTestServer(...)`
 * and `startTestMock()` inside tests; both register themselves for teardown.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockProvider, type MockProviderOptions, startMockProvider } from '@429chain/core/testing';
import { stringify } from 'yaml';
import { type RunningServer, type StartServerOptions, startServer } from '../start-server.ts';

/** The admin key every test server accepts unless the config names other admin keys. */
export const testAdminKey = 'admin-key-for-tests-0000adm1';
/** A client key for configs that set `settings.apiKeys`. */
export const testClientKey = 'client-key-for-tests-0000cl01';

type Fields = Record<string, unknown>;

/** A config as the test writes it (validated by the server, not here). */
export interface TestConfig {
  providers: Fields[];
  chains: Fields[];
  settings?: Fields | undefined;
  [field: string]: unknown;
}

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  config: TestConfig;
  /** File format of the written config. @default 'yaml' */
  format?: 'yaml' | 'json' | undefined;
  /** Add `testAdminKey` to `settings.adminKeys` when the config names none. @default true */
  defaultAdminKey?: boolean | undefined;
  /** Further `startServer` options (configPath, port, dbPath and dashboardDirectory are set here). */
  start?: Partial<StartServerOptions> | undefined;
}

/** A fully read response. */
export interface ReadResponse<Body = unknown> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: Body;
}

/** Request options of the fetch helpers. */
export interface CallOptions extends Omit<RequestInit, 'body'> {
  /** A JSON value to send (sets content-type), or a raw string. */
  json?: unknown;
  body?: string | undefined;
}

/** An OpenAI-shaped error body. */
export interface ErrorBody {
  error: {
    message: string;
    type: string;
    code: string | null;
    param: string | null;
    issues?: Array<{ path: string; message: string }> | undefined;
  };
}

/** A running test server and its helpers. */
export interface TestServer {
  server: RunningServer;
  url: string;
  directory: string;
  configPath: string;
  dbPath: string;
  adminKey: string;
  /** Every response text read through this server's helpers, in order. */
  responseTexts: string[];
  /** A raw fetch against the server (no key, body not read). */
  fetch(path: string, options?: CallOptions): Promise<Response>;
  /** A fetch with `Authorization: Bearer <key>`; the body is read, recorded and parsed. */
  call<Body = unknown>(
    path: string,
    options?: CallOptions & { key?: string | undefined },
  ): Promise<ReadResponse<Body>>;
  /** {@link call} with the admin key. */
  admin<Body = unknown>(path: string, options?: CallOptions): Promise<ReadResponse<Body>>;
  /** Reads a response's body, records it, and parses it as JSON when it is JSON. */
  read<Body = unknown>(response: Response): Promise<ReadResponse<Body>>;
  /** A chat completion body for `model`. */
  chat(model: string, extra?: Fields): Fields;
  close(): Promise<void>;
}

const resources: Array<() => Promise<void>> = [];

/** Closes every server and mock started since the last call, newest first, and removes temp dirs. */
export async function closeTestResources(): Promise<void> {
  const errors: unknown[] = [];
  for (const close of resources.splice(0).reverse()) {
    await close().catch((error: unknown) => errors.push(error));
  }
  if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
}

/** Starts a loopback mock provider, closed by {@link closeTestResources}. */
export async function startTestMock(options: MockProviderOptions = {}): Promise<MockProvider> {
  const mock = await startMockProvider(options);
  resources.push(() => mock.close());
  return mock;
}

/** A temporary directory removed by {@link closeTestResources}. */
export async function temporaryDirectory(prefix = '429chain-server-test-'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  resources.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** Writes a config file (YAML or JSON) into `directory` and returns its path. */
export async function writeConfigFile(
  directory: string,
  config: TestConfig,
  format: 'yaml' | 'json' = 'yaml',
): Promise<string> {
  const path = join(directory, format === 'json' ? '429chain.json' : '429chain.yaml');
  const text =
    format === 'json'
      ? `${JSON.stringify(config, null, 2)}\n`
      : `# written by start-test-server.ts\n${stringify(config)}`;
  await writeFile(path, text, 'utf8');
  return path;
}

/** Starts a real server from a config written to a temp file, on 127.0.0.1 and an ephemeral port. */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const directory = await temporaryDirectory();
  const settings: Fields = { ...options.config.settings };
  if (options.defaultAdminKey !== false && settings.adminKeys === undefined) {
    settings.adminKeys = [testAdminKey];
  }
  const config: TestConfig = { ...options.config, settings };
  const configPath = await writeConfigFile(directory, config, options.format);
  const dbPath = join(directory, 'data', '429chain.db');
  const server = await startServer({
    configPath,
    port: 0,
    host: '127.0.0.1',
    dbPath,
    dashboardDirectory: false,
    env: {},
    ...options.start,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  resources.push(close);
  const adminKeys = settings.adminKeys as string[] | undefined;
  const adminKey = adminKeys?.[0] ?? testAdminKey;
  const responseTexts: string[] = [];

  const rawFetch = (path: string, callOptions: CallOptions = {}) => {
    const { json, body, headers, ...init } = callOptions;
    const merged = new Headers(headers);
    let sent = body;
    if (json !== undefined) {
      sent = JSON.stringify(json);
      if (!merged.has('content-type')) merged.set('content-type', 'application/json');
    }
    return fetch(`${server.url}${path}`, { ...init, headers: merged, body: sent });
  };
  const read = async <Body>(response: Response): Promise<ReadResponse<Body>> => {
    const text = await response.text();
    responseTexts.push(text);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed as Body };
  };
  const call = async <Body>(path: string, callOptions: CallOptions & { key?: string | undefined } = {}) => {
    const { key, headers, ...rest } = callOptions;
    const merged = new Headers(headers);
    if (key !== undefined) merged.set('authorization', `Bearer ${key}`);
    return read<Body>(await rawFetch(path, { ...rest, headers: merged }));
  };

  return {
    server,
    url: server.url,
    directory,
    configPath,
    dbPath,
    adminKey,
    responseTexts,
    fetch: rawFetch,
    call,
    admin: (path, callOptions = {}) => call(path, { ...callOptions, key: adminKey }),
    read,
    chat: (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'Say hello.' }], ...extra }),
    close,
  };
}

/** One Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field; undefined for plain `data:` events. */
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** Parses complete SSE text into events (comments skipped, CRLF accepted). */
export function parseSse(text: string): SseEvent[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n\n')
    .map(parseSseBlock)
    .filter((event): event is SseEvent => event !== undefined);
}

function parseSseBlock(block: string): SseEvent | undefined {
  let event: string | undefined;
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0 && event === undefined) return undefined;
  return { event, data: data.join('\n'), id };
}

/**
 * Reads an SSE response event by event, as it arrives. `next()` resolves with the next
 * event, or undefined when the stream ended; `text` holds everything read so far.
 */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  readonly #events: SseEvent[] = [];
  #buffer = '';
  #carriageReturn = '';
  #done = false;
  text = '';

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.#reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  }

  async next(): Promise<SseEvent | undefined> {
    for (;;) {
      const queued = this.#events.shift();
      if (queued) return queued;
      if (this.#done) return undefined;
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#done = true;
        const rest = parseSseBlock(this.#buffer);
        this.#buffer = '';
        if (rest) this.#events.push(rest);
        continue;
      }
      this.text += value;
      // A CR at the end of a piece may be the first half of a CRLF: keep it for the next piece.
      let piece = this.#carriageReturn + value;
      this.#carriageReturn = piece.endsWith('\r') ? '\r' : '';
      if (this.#carriageReturn) piece = piece.slice(0, -1);
      this.#buffer += piece.replace(/\r\n?/g, '\n');
      let boundary = this.#buffer.indexOf('\n\n');
      while (boundary !== -1) {
        const event = parseSseBlock(this.#buffer.slice(0, boundary));
        if (event) this.#events.push(event);
        this.#buffer = this.#buffer.slice(boundary + 2);
        boundary = this.#buffer.indexOf('\n\n');
      }
    }
  }

  /** Reads until an event matches, returning it (and throwing if the stream ends first). */
  async until(matches: (event: SseEvent) => boolean): Promise<SseEvent> {
    for (;;) {
      const event = await this.next();
      if (!event) throw new Error(`the stream ended before the awaited event; read:\n${this.text}`);
      if (matches(event)) return event;
    }
  }

  /** Reads to the end and returns every remaining event. */
  async rest(): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (let event = await this.next(); event; event = await this.next()) events.push(event);
    return events;
  }

  /** Stops reading (the server sees the connection close). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

/** A generic OpenAI-compatible provider pointing at a mock. */
export function mockProviderConfig(id: string, mock: MockProvider, extra: Fields = {}): Fields {
  return { id, type: 'generic', baseUrl: mock.url, apiKey: `sk-${id}-secret-key-0000`, ...extra };
}

/** Options of {@link startTwoEntryServer}. */
export interface TwoEntryServerOptions {
  /** The config's settings. @default { defaultChain: 'main' } */
  settings?: Fields | undefined;
  /** Chains after `main`. */
  chains?: Fields[] | undefined;
  /** More fields of `main`'s first entry (`capabilities`, `rateLimits`). */
  firstEntry?: Fields | undefined;
}

/** A test server and the two mock providers behind its chain. */
export interface TwoEntryServer {
  server: TestServer;
  alpha: MockProvider;
  beta: MockProvider;
}

/**
 * The usual set-up: two generic providers on their own mocks, `alpha` and `beta`, and a chain
 * `main` that tries `alpha/alpha-small`, then `beta/beta-large`.
 */
export async function startTwoEntryServer(options: TwoEntryServerOptions = {}): Promise<TwoEntryServer> {
  const alpha = await startTestMock();
  const beta = await startTestMock();
  const server = await startTestServer({
    config: {
      // The models each provider lists: `provider/model` reaches only listed or chained models.
      providers: [
        mockProviderConfig('alpha', alpha, { models: ['alpha-small', 'alpha-solo'] }),
        mockProviderConfig('beta', beta, { models: ['beta-large', 'beta-other'] }),
      ],
      chains: [
        {
          name: 'main',
          entries: [
            { provider: 'alpha', model: 'alpha-small', ...options.firstEntry },
            { provider: 'beta', model: 'beta-large' },
          ],
        },
        ...(options.chains ?? []),
      ],
      settings: options.settings ?? { defaultChain: 'main' },
    },
  });
  return { server, alpha, beta };
}
