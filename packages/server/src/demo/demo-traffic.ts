import type { Chain, Logger } from '@429chain/core';

const prompts = [
  'Summarise what a rate limit is in one sentence.',
  'Give me a haiku about free tiers.',
  'What does HTTP 429 mean?',
  'Name three uses of a waterfall router.',
  'Explain a token bucket to a five-year-old.',
];

/** Options of {@link startDemoTraffic}. */
export interface DemoTrafficOptions {
  chain: Chain;
  /** Pause between requests (ms). @default 4000 */
  intervalMs?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * Sends light simulated traffic through the demo chain (labelled `demo traffic` in the
 * request log) so that quotas run out, entries cool down and recover, and the
 * dashboard moves without anyone typing. Returns the function that stops it.
 */
export function startDemoTraffic(options: DemoTrafficOptions): () => void {
  let count = 0;
  let stopped = false;
  const send = async () => {
    const stream = count % 3 === 0;
    const body = {
      model: 'demo',
      stream,
      messages: [{ role: 'user', content: prompts[count % prompts.length] }],
    };
    count++;
    try {
      const response = await options.chain.handle(
        new Request('http://429chain.local/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        { metadata: { client: 'demo traffic' } },
      );
      await response.arrayBuffer();
    } catch (error) {
      if (!stopped) options.logger?.warn('demo traffic request failed', { error: String(error) });
    }
  };
  const timer = setInterval(() => void send(), options.intervalMs ?? 4_000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
