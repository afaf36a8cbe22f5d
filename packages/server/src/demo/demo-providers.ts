/**
 * Demo mode: simulated free-tier providers with small quotas, answered in-process in
 * each real provider's dialect (Groq's headers and RPM messages, Cerebras's quota
 * codes, Gemini's RetryInfo, OpenRouter's daily cap), so a newcomer with no keys
 * sees waterfalls, cooldowns and countdowns at once.
 */

/** Host of every simulated provider; nothing is sent over the network. */
export const demoHost = 'demo.429chain.invalid';

interface Simulation {
  /** Provider preset whose dialect it speaks. */
  type: 'groq' | 'cerebras' | 'gemini' | 'openrouter';
  model: string;
  requestsPerMinute: number;
  requestsPerDay: number;
  /** Milliseconds between streamed tokens. */
  tokenIntervalMs: number;
}

const simulations: Record<string, Simulation> = {
  'groq-sim': {
    type: 'groq',
    model: 'llama-3.1-8b-instant',
    requestsPerMinute: 6,
    requestsPerDay: 300,
    tokenIntervalMs: 15,
  },
  'cerebras-sim': {
    type: 'cerebras',
    model: 'llama3.1-8b',
    requestsPerMinute: 4,
    requestsPerDay: 200,
    tokenIntervalMs: 10,
  },
  'gemini-sim': {
    type: 'gemini',
    model: 'gemini-2.5-flash',
    requestsPerMinute: 5,
    requestsPerDay: 250,
    tokenIntervalMs: 30,
  },
  'openrouter-sim': {
    type: 'openrouter',
    model: 'meta-llama/llama-3.3-70b-instruct:free',
    requestsPerMinute: 20,
    requestsPerDay: 50,
    tokenIntervalMs: 40,
  },
};

/** The demo config: the four simulated providers and a `demo` chain over them. */
export function demoConfig(): Record<string, unknown> {
  return {
    version: 1,
    settings: { defaultChain: 'demo', queueMode: true, queueMaxWaitMs: 20_000 },
    providers: Object.entries(simulations).map(([id, simulation]) => ({
      id,
      name: `${id} (simulated)`,
      type: simulation.type,
      apiKey: `demo-key-${id}-not-a-secret`,
      baseUrl: `http://${demoHost}/${id}/v1`,
    })),
    chains: [
      {
        name: 'demo',
        entries: Object.entries(simulations).map(([id, simulation]) => ({
          provider: id,
          model: simulation.model,
          capabilities: { prefill: true },
        })),
      },
    ],
  };
}

/** Options of {@link createDemoFetch}. */
export interface DemoFetchOptions {
  /** Where requests to other hosts go (real providers added while in demo mode). @default globalThis.fetch */
  fallback?: typeof globalThis.fetch | undefined;
  /** @default Date.now */
  now?: (() => number) | undefined;
}

/** A fetch that answers for the simulated providers and passes everything else on. */
export function createDemoFetch(options: DemoFetchOptions = {}): typeof globalThis.fetch {
  const fallback = options.fallback ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const minuteCounts = new Map<string, { windowStart: number; count: number }>();
  const dayCounts = new Map<string, { day: number; count: number }>();

  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.hostname !== demoHost) return fallback(input, init);
    const id = url.pathname.split('/')[1] ?? '';
    const simulation = simulations[id];
    if (!simulation)
      return json(404, { error: { message: `Unknown demo provider ${id}`, code: 'not_found' } });
    const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    const at = now();
    const minute = Math.floor(at / 60_000) * 60_000;
    const day = Math.floor(at / 86_400_000);
    const perMinute = minuteCounts.get(id);
    const minuteState =
      perMinute && perMinute.windowStart === minute ? perMinute : { windowStart: minute, count: 0 };
    const perDay = dayCounts.get(id);
    const dayState = perDay && perDay.day === day ? perDay : { day, count: 0 };
    minuteCounts.set(id, minuteState);
    dayCounts.set(id, dayState);
    const retryInSeconds = Math.max(1, Math.ceil((minute + 60_000 - at) / 1000));
    const nextMidnight = (day + 1) * 86_400_000;

    if (dayState.count >= simulation.requestsPerDay) return dailyLimit(simulation, nextMidnight, at);
    if (minuteState.count >= simulation.requestsPerMinute) return minuteLimit(simulation, retryInSeconds);
    minuteState.count++;
    dayState.count++;

    const headers = quotaHeaders(simulation, {
      minuteLeft: simulation.requestsPerMinute - minuteState.count,
      dayLeft: simulation.requestsPerDay - dayState.count,
      retryInSeconds,
      secondsToMidnight: Math.ceil((nextMidnight - at) / 1000),
    });
    const text = answerText(id, body);
    if (body.stream === true) return streamed(simulation, text, headers, request.signal);
    return json(200, completion(simulation, text), headers);
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function quotaHeaders(
  simulation: Simulation,
  state: { minuteLeft: number; dayLeft: number; retryInSeconds: number; secondsToMidnight: number },
): Record<string, string> {
  switch (simulation.type) {
    case 'groq':
      return {
        'x-ratelimit-limit-requests': String(simulation.requestsPerDay),
        'x-ratelimit-remaining-requests': String(state.dayLeft),
        'x-ratelimit-reset-requests': `${Math.floor(state.secondsToMidnight / 60)}m${state.secondsToMidnight % 60}s`,
        'x-ratelimit-limit-tokens': '6000',
        'x-ratelimit-remaining-tokens': String(5_000 + state.minuteLeft * 100),
        'x-ratelimit-reset-tokens': `${state.retryInSeconds}s`,
      };
    case 'cerebras':
      return {
        'x-ratelimit-limit-requests-day': String(simulation.requestsPerDay),
        'x-ratelimit-remaining-requests-day': String(state.dayLeft),
        'x-ratelimit-reset-requests-day': `${state.secondsToMidnight}.0`,
        'x-ratelimit-limit-requests-minute': String(simulation.requestsPerMinute),
        'x-ratelimit-remaining-requests-minute': String(state.minuteLeft),
        'x-ratelimit-reset-requests-minute': `${state.retryInSeconds}.0`,
      };
    default:
      return {};
  }
}

function minuteLimit(simulation: Simulation, retryInSeconds: number): Response {
  switch (simulation.type) {
    case 'groq':
      return json(
        429,
        {
          error: {
            message: `Rate limit reached for model \`${simulation.model}\` in organization \`org_demo\` service tier \`on_demand\` on requests per minute (RPM): Limit ${simulation.requestsPerMinute}, Used ${simulation.requestsPerMinute}, Requested 1. Please try again in ${retryInSeconds}s.`,
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
        },
        { 'retry-after': String(retryInSeconds) },
      );
    case 'cerebras':
      return json(
        429,
        {
          message: 'Requests per minute limit exceeded - too many requests sent.',
          type: 'too_many_requests_error',
          param: 'quota',
          code: 'request_quota_exceeded',
        },
        { 'retry-after': String(retryInSeconds) },
      );
    case 'gemini':
      return json(429, [
        {
          error: {
            code: 429,
            message: 'You exceeded your current quota, please check your plan and billing details.',
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                    quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                  },
                ],
              },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryInSeconds}s` },
            ],
          },
        },
      ]);
    case 'openrouter':
      return json(429, {
        error: { code: 429, message: `Rate limit exceeded: limit_rpm/${simulation.model}` },
      });
  }
}

function dailyLimit(simulation: Simulation, nextMidnight: number, at: number): Response {
  if (simulation.type === 'openrouter') {
    const headers = {
      'X-RateLimit-Limit': String(simulation.requestsPerDay),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(nextMidnight),
    };
    return json(
      429,
      {
        error: {
          code: 429,
          message:
            'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
          metadata: { headers },
        },
      },
      headers,
    );
  }
  const seconds = Math.ceil((nextMidnight - at) / 1000);
  return json(
    429,
    {
      error: {
        message: `Rate limit reached for model \`${simulation.model}\` on requests per day (RPD): Limit ${simulation.requestsPerDay}, Used ${simulation.requestsPerDay}, Requested 1. Please try again in ${seconds}s.`,
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    },
    { 'retry-after': String(seconds) },
  );
}

function answerText(id: string, body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.at(-1) as { content?: unknown } | undefined;
  const prompt = typeof last?.content === 'string' ? last.content.slice(0, 80) : 'your prompt';
  return `This is ${id}, a simulated free-tier provider (demo mode). You asked: "${prompt}". 429chain tried the chain in order and I had quota left, so I am answering. Add real provider keys to leave demo mode.`;
}

function completion(simulation: Simulation, text: string): Record<string, unknown> {
  const completionTokens = Math.ceil(text.length / 4);
  return {
    id: `chatcmpl-demo-${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: simulation.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 24, completion_tokens: completionTokens, total_tokens: 24 + completionTokens },
  };
}

function streamed(
  simulation: Simulation,
  text: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Response {
  const encoder = new TextEncoder();
  const id = `chatcmpl-demo-${Math.random().toString(36).slice(2, 10)}`;
  const created = Math.floor(Date.now() / 1000);
  const event = (fields: Record<string, unknown>) =>
    encoder.encode(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: simulation.model, ...fields })}\n\n`,
    );
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    event({ choices: [{ index: 0, delta, finish_reason: finishReason }] });
  const words = text.split(/(?<= )/);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(chunk({ role: 'assistant', content: '' }, null));
      let index = 0;
      const next = () => {
        if (signal.aborted) return;
        if (index < words.length) {
          controller.enqueue(chunk({ content: words[index++] }, null));
          timer = setTimeout(next, simulation.tokenIntervalMs);
          return;
        }
        controller.enqueue(chunk({}, 'stop'));
        const completionTokens = Math.ceil(text.length / 4);
        controller.enqueue(
          event({
            choices: [],
            usage: {
              prompt_tokens: 24,
              completion_tokens: completionTokens,
              total_tokens: 24 + completionTokens,
            },
          }),
        );
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      };
      timer = setTimeout(next, simulation.tokenIntervalMs);
    },
    cancel() {
      clearTimeout(timer);
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', ...headers } });
}
