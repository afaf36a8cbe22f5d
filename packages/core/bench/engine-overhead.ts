/**
 * The engine's own overhead per request, in-process, against a zero-latency upstream.
 *
 *   pnpm bench:core          (or, in packages/core: pnpm bench)
 *
 * The upstream is a `fetch` function that returns a `Response` built from prebuilt bytes at
 * once: no network, no sockets, no timers. Every row times one request from the client's
 * call to the last byte of the body it read, so the numbers are what 429chain adds on top
 * of the provider, plus the cost of the mock itself (shown by the baseline rows).
 *
 * Rows:
 * - `baseline`: the client calls the mock fetch directly and reads the whole body.
 * - `1 entry`: `chain.fetch` on a chain of one entry that answers; the engine validates the
 *   body, reserves its buckets, sends through fetch, reads the answer, settles the buckets
 *   from the rate-limit headers, and answers with the x-429chain-* headers.
 * - `5 entries, 4 skipped`: the same entry placed fifth, behind four entries of other
 *   providers that are cooling down (each answered one 429 with `retry-after: 3600` before
 *   timing began). Each request consults the store for the four, records four skips in the
 *   trail, then takes the fifth. The bench checks that no skipped entry is called while timing.
 *
 * Non-streaming rows read a ~400-byte JSON completion; streaming rows read an SSE stream
 * of 24 events (role, 20 content chunks, finish, usage, [DONE]) delivered as separate chunks,
 * relayed by the engine event by event. Concurrency 1 runs requests one after another;
 * concurrency 16 keeps 16 in flight. Latency is per request; requests/s is over the wall time.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { type Chain, createChain } from '../src/index.ts';

const rounds = 3;
const warmupMs = 250;
const roundMs = 900;
const chatUrl = 'http://429chain.local/v1/chat/completions';
const upstreamBaseUrl = 'http://upstream.bench/v1';

const encoder = new TextEncoder();
const rateLimitHeaders = {
  'x-ratelimit-limit-requests': '1000000',
  'x-ratelimit-remaining-requests': '999999',
  'x-ratelimit-reset-requests': '1s',
  'x-ratelimit-limit-tokens': '100000000',
  'x-ratelimit-remaining-tokens': '99999999',
  'x-ratelimit-reset-tokens': '1s',
};

const completionBytes = encoder.encode(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'bench-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog, twice over.' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 24, completion_tokens: 20, total_tokens: 44 },
    system_fingerprint: 'fp_bench',
  }),
);

const streamEvents: Uint8Array[] = (() => {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'bench-model',
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    })}\n\n`;
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  for (let index = 0; index < 20; index++) events.push(chunk({ content: ` token${index}` }, null));
  events.push(chunk({}, 'stop'));
  events.push(
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'bench-model',
      choices: [],
      usage: { prompt_tokens: 24, completion_tokens: 20, total_tokens: 44 },
    })}\n\n`,
  );
  events.push('data: [DONE]\n\n');
  return events.map((event) => encoder.encode(event));
})();

const rateLimitedBytes = encoder.encode(
  JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }),
);

/** Upstream calls to the exhausted providers (must stay 0 while timing). */
let exhaustedCalls = 0;

/** The zero-latency upstream: a Response from prebuilt bytes, at once. */
function mockFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.startsWith('http://exhausted')) {
    exhaustedCalls++;
    return Promise.resolve(
      new Response(rateLimitedBytes, {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '3600' },
      }),
    );
  }
  const accept =
    input instanceof Request ? input.headers.get('accept') : new Headers(init?.headers).get('accept');
  if (accept === 'text/event-stream') {
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const event = streamEvents[index++];
        if (event) controller.enqueue(event);
        else controller.close();
      },
    });
    return Promise.resolve(
      new Response(body, {
        status: 200,
        headers: { 'content-type': 'text/event-stream', ...rateLimitHeaders },
      }),
    );
  }
  return Promise.resolve(
    new Response(completionBytes, {
      status: 200,
      headers: { 'content-type': 'application/json', ...rateLimitHeaders },
    }),
  );
}

const messages = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'Say something about foxes and dogs in one sentence.' },
];
const bodyFor = (model: string, stream: boolean) =>
  JSON.stringify(
    stream ? { model, messages, stream: true, max_tokens: 64 } : { model, messages, max_tokens: 64 },
  );

async function drain(response: Response): Promise<void> {
  if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  const reader = response.body!.getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) return;
  }
}

/** Before timing: each path must give a complete answer from the right entry, or the numbers mean nothing. */
async function checkAnswers(chain: Chain): Promise<void> {
  for (const chainName of ['one', 'five']) {
    const json = await chain.fetch(chatUrl, { method: 'POST', body: bodyFor(chainName, false) });
    const completion = (await json.json()) as { choices: Array<{ message: { content: string } }> };
    const streamed = await chain.fetch(chatUrl, { method: 'POST', body: bodyFor(chainName, true) });
    const events = await streamed.text();
    const trail = streamed.headers.get('x-429chain-trail') ?? '';
    const skips = trail.split(', ').filter((step) => step.includes('=skip(cooldown)')).length;
    const problems = [
      json.status !== 200 && `JSON status ${json.status}`,
      !completion.choices[0]?.message.content && 'JSON answer empty',
      streamed.headers.get('x-429chain-provider') !== 'upstream' && 'stream answered by the wrong entry',
      !events.includes(' token19') && 'stream text incomplete',
      !events.endsWith('data: [DONE]\n\n') && 'stream not finished with [DONE]',
      events.includes('"usage"') && 'usage chunk sent although not asked for',
      skips !== (chainName === 'five' ? 4 : 0) && `unexpected trail: ${trail}`,
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`chain "${chainName}": ${problems.join('; ')}`);
  }
}

type Call = () => Promise<void>;

interface Measured {
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

/** Runs `call` for `durationMs` with `concurrency` in flight; latencies in µs. */
async function run(call: Call, concurrency: number, durationMs: number): Promise<Measured> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      const before = performance.now();
      await call();
      latencies.push((performance.now() - before) * 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((left, right) => left - right);
  const at = (quantile: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * quantile))]!;
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** Median of the rounds, stat by stat; requests are summed. */
function medianOf(rounds: Measured[]): Measured {
  const median = (pick: (measured: Measured) => number) => {
    const values = rounds.map(pick).sort((left, right) => left - right);
    return values[Math.floor(values.length / 2)]!;
  };
  return {
    requests: rounds.reduce((sum, round) => sum + round.requests, 0),
    requestsPerSecond: median((round) => round.requestsPerSecond),
    p50: median((round) => round.p50),
    p99: median((round) => round.p99),
  };
}

function benchChain(): Chain {
  const exhausted = [1, 2, 3, 4].map((index) => ({
    id: `exhausted${index}`,
    type: 'generic',
    apiKey: `bench-key-exhausted-${index}`,
    baseUrl: `http://exhausted${index}.bench/v1`,
  }));
  return createChain({
    providers: [
      ...exhausted,
      { id: 'upstream', type: 'generic', apiKey: 'bench-key-upstream', baseUrl: upstreamBaseUrl },
    ],
    chains: [
      { name: 'one', entries: [{ provider: 'upstream', model: 'bench-model' }] },
      {
        name: 'five',
        entries: [
          ...exhausted.map((provider) => ({ provider: provider.id, model: 'bench-model' })),
          { provider: 'upstream', model: 'bench-model' },
        ],
      },
    ],
    fetch: mockFetch,
  });
}

interface Scenario {
  mode: 'json' | 'stream';
  concurrency: number;
  label: string;
  call: Call;
  /** The baseline scenario this one is compared with. */
  baseline?: Scenario;
  rounds: Measured[];
}

const format = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

async function main(): Promise<void> {
  const chain = benchChain();
  try {
    // Cool down the four exhausted entries: one request through `five` gets a 429 from each.
    await drain(await chain.fetch(chatUrl, { method: 'POST', body: bodyFor('five', false) }));
    if (exhaustedCalls !== 4) throw new Error(`expected 4 calls to exhausted entries, got ${exhaustedCalls}`);
    exhaustedCalls = 0;
    await checkAnswers(chain);

    // `pnpm bench -- stream` (or `json`) runs only that mode, e.g. under `node --cpu-prof`.
    const only = process.argv[2];
    const scenarios: Scenario[] = [];
    for (const mode of ['json', 'stream'] as const) {
      if (only !== undefined && only !== mode) continue;
      const stream = mode === 'stream';
      for (const concurrency of [1, 16]) {
        const directBody = bodyFor('bench-model', stream);
        const directInit = {
          method: 'POST',
          body: directBody,
          headers: {
            'content-type': 'application/json',
            accept: stream ? 'text/event-stream' : 'application/json',
          },
        };
        const baseline: Scenario = {
          mode,
          concurrency,
          label: 'baseline (mock fetch, direct)',
          call: async () => drain(await mockFetch(`${upstreamBaseUrl}/chat/completions`, directInit)),
          rounds: [],
        };
        scenarios.push(baseline);
        for (const [label, chainName] of [
          ['1 entry', 'one'],
          ['5 entries, 4 skipped', 'five'],
        ] as const) {
          const body = bodyFor(chainName, stream);
          scenarios.push({
            mode,
            concurrency,
            label,
            call: async () => drain(await chain.fetch(chatUrl, { method: 'POST', body })),
            baseline,
            rounds: [],
          });
        }
      }
    }
    // Rounds interleave the scenarios, so a burst of load elsewhere on the machine
    // lands in one round of several rows rather than in all rounds of one row.
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        await run(scenario.call, scenario.concurrency, warmupMs);
        (globalThis as { gc?: () => void }).gc?.();
        scenario.rounds.push(await run(scenario.call, scenario.concurrency, roundMs));
      }
    }
    if (exhaustedCalls !== 0)
      throw new Error(`skipped entries were called ${exhaustedCalls} times while timing`);

    const load = loadavg().map((value) => value.toFixed(2));
    console.log(`\nCore engine overhead: Node ${process.version}, ${process.platform}/${process.arch}`);
    console.log(
      `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${load.join(' ')} at the end`,
    );
    console.log(
      `${rounds} rounds of (${warmupMs} ms warm-up + ${roundMs} ms timed) per row; median of the rounds; latency per request in µs\n`,
    );
    console.log(
      '| mode | concurrency | path | requests | req/s | p50 µs | p99 µs | added p50 µs | added p99 µs |',
    );
    console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
    for (const row of scenarios) {
      const result = medianOf(row.rounds);
      const baseline = row.baseline ? medianOf(row.baseline.rounds) : undefined;
      const added = (value: number, base: number | undefined) =>
        base === undefined ? '—' : format(value - base);
      console.log(
        `| ${row.mode === 'json' ? 'non-streaming' : 'streaming'} | ${row.concurrency} | ${row.label} | ${result.requests} | ${result.requestsPerSecond.toFixed(0)} | ${format(result.p50)} | ${format(result.p99)} | ${added(result.p50, baseline?.p50)} | ${added(result.p99, baseline?.p99)} |`,
      );
    }
  } finally {
    await chain.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
