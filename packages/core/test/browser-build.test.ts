import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import OpenAI, { RateLimitError } from 'openai';
import { build, defaultClientConditions } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The main entry as a browser gets it: bundled by Vite with the browser's conditions (no
 * `node:` module may be left in it), then driven through `chain.fetch` by the official SDK.
 * No loopback provider exists here: msw answers the providers' real URLs at the fetch level.
 */

type CoreModule = typeof import('../src/index.ts');

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const groqUrl = 'https://api.groq.com/openai/v1/chat/completions';
const cerebrasUrl = 'https://api.cerebras.ai/v1/chat/completions';
const groqKey = 'gsk_browser_build_key_0001';
const cerebrasKey = 'csk-browser-build-key-0002';

const seen: Array<{ url: string; authorization: string | null; model: unknown }> = [];
const network = setupServer();
let bundle: string;
let core: CoreModule;
let directory: string;

beforeAll(async () => {
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['@429chain/source', ...defaultClientConditions] },
    build: {
      lib: { entry, formats: ['es'], fileName: 'core' },
      write: false,
      minify: false,
      target: 'es2022',
    },
  });
  const results = Array.isArray(output) ? output : [output];
  const chunks = results.flatMap((result) => ('output' in result ? result.output : []));
  const main = chunks.find((chunk) => chunk.type === 'chunk' && chunk.isEntry);
  if (main?.type !== 'chunk') throw new Error('vite produced no entry chunk');
  bundle = main.code;
  directory = await mkdtemp(join(tmpdir(), '429chain-browser-build-'));
  const path = join(directory, 'core.mjs');
  await writeFile(path, bundle);
  core = (await import(pathToFileURL(path).href)) as CoreModule;
  network.listen({ onUnhandledFrame: 'error' });
}, 60_000);

afterEach(() => {
  network.resetHandlers();
  seen.length = 0;
});

afterAll(async () => {
  network.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

function record(request: Request, body: { model?: unknown }): void {
  seen.push({ url: request.url, authorization: request.headers.get('authorization'), model: body.model });
}

function completion(model: string, text: string) {
  return {
    id: `chatcmpl-${model}`,
    object: 'chat.completion',
    created: 1_750_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  };
}

function startChain() {
  const chain = core.createChain({
    providers: [
      { id: 'groq', type: 'groq', apiKey: groqKey },
      { id: 'cerebras', type: 'cerebras', apiKey: cerebrasKey },
    ],
    chains: [
      {
        name: 'fast',
        entries: [
          { provider: 'groq', model: 'llama-3.1-8b-instant' },
          { provider: 'cerebras', model: 'llama3.1-8b' },
        ],
      },
    ],
    settings: { defaultChain: 'fast' },
  });
  const openai = new OpenAI({
    apiKey: 'unused',
    baseURL: 'http://429chain.local/v1',
    fetch: chain.fetch,
    maxRetries: 0,
  });
  return { chain, openai };
}

describe('the main entry, bundled for the browser', () => {
  it('leaves no Node module in the bundle', () => {
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(bundle).not.toMatch(/from\s*["']node:/);
    expect(bundle).not.toMatch(/import\(\s*["']node:/);
    expect(bundle).not.toMatch(/\brequire\(/);
    // Vite swaps a Node module for a stub that throws "externalized for browser compatibility".
    expect(bundle).not.toContain('externalized for browser compatibility');
  });

  it('fails over from a rate-limited Groq to Cerebras and learns the limit from Groq headers', async () => {
    network.use(
      http.post(groqUrl, async ({ request }) => {
        record(request, (await request.json()) as { model?: unknown });
        return HttpResponse.json(
          {
            error: {
              message: 'Rate limit reached for requests per minute.',
              type: 'requests',
              code: 'rate_limit_exceeded',
            },
          },
          {
            status: 429,
            headers: {
              'retry-after': '7',
              'x-ratelimit-limit-requests': '30',
              'x-ratelimit-remaining-requests': '0',
              'x-ratelimit-reset-requests': '7s',
            },
          },
        );
      }),
      http.post(cerebrasUrl, async ({ request }) => {
        const body = (await request.json()) as { model?: unknown };
        record(request, body);
        return HttpResponse.json(completion(String(body.model), 'Hello from Cerebras.'));
      }),
    );
    const { chain, openai } = startChain();

    const { data, response } = await openai.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'Say hello.' }] })
      .withResponse();
    const status = await chain.status();
    await chain.close();

    expect(data.choices[0]!.message.content).toBe('Hello from Cerebras.');
    expect(response.headers.get('x-429chain-provider')).toBe('cerebras');
    expect(response.headers.get('x-429chain-trail')).toBe(
      'groq/llama-3.1-8b-instant=429, cerebras/llama3.1-8b=200',
    );
    expect(seen).toEqual([
      { url: groqUrl, authorization: `Bearer ${groqKey}`, model: 'llama-3.1-8b-instant' },
      { url: cerebrasUrl, authorization: `Bearer ${cerebrasKey}`, model: 'llama3.1-8b' },
    ]);
    const groq = status.entries.find((found) => found.provider === 'groq')!;
    expect(groq.state).toBe('exhausted');
    expect(groq.until! - status.at).toBeGreaterThan(5_000);
    expect(status.buckets).toContainEqual(
      expect.objectContaining({
        provider: 'groq',
        kind: 'requests',
        limit: 30,
        remaining: 0,
        source: 'header',
      }),
    );
  });

  it('answers the SDK with a 429 and Retry-After when every entry is rate-limited, without a second call', async () => {
    const limited = (url: string) =>
      http.post(url, async ({ request }) => {
        record(request, (await request.json()) as { model?: unknown });
        return HttpResponse.json(
          { error: { message: 'Too many requests' } },
          { status: 429, headers: { 'retry-after': '30' } },
        );
      });
    network.use(limited(groqUrl), limited(cerebrasUrl));
    const { chain, openai } = startChain();

    const first = await openai.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    const second = await openai.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    await chain.close();

    expect(first).toBeInstanceOf(RateLimitError);
    expect(Number((first as RateLimitError).headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(second).toBeInstanceOf(RateLimitError);
    // The second request is refused from what the first learnt: nothing more is sent.
    expect(seen.map((request) => request.url)).toEqual([groqUrl, cerebrasUrl]);
  });
});
