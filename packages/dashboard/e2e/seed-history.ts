import { type AttemptRecord, countSentAttempts, isFallback, type RequestRecord } from '@429chain/core';
import { createSqliteRequestLogger, openDatabase } from '@429chain/server';

/**
 * An hour of past traffic over the test config's chains, written through the server's
 * own SQLite logger before it starts, so the overview's charts have a history to draw.
 * It copies what the mocks produce live (same providers, models, keys, reasons), with
 * a deterministic pseudo-random mix: Groq answers most, its per-minute limit trips now
 * and then and Cerebras takes over, OpenRouter catches what is left, a few requests fail.
 */
export async function seedHistory(dbPath: string, now: number): Promise<number> {
  const database = openDatabase({ path: dbPath });
  const logger = createSqliteRequestLogger({ database });
  const random = mulberry32(429);
  const between = (low: number, high: number) => Math.round(low + random() * (high - low));
  const clients = ['web-app', 'web-app', 'support-bot', 'batch-summaries'];
  let count = 0;
  for (let minutesAgo = 60; minutesAgo >= 1; minutesAgo--) {
    const minuteStart = now - minutesAgo * 60_000;
    const busy = Math.sin(minutesAgo / 7) * 2.5 + 4;
    const requests = Math.max(1, Math.round(busy + random() * 3));
    const groqLimited = minutesAgo % 13 === 4 || minutesAgo % 13 === 5;
    const cerebrasLimited = minutesAgo === 30 || minutesAgo === 17;
    for (let index = 0; index < requests; index++) {
      const startedAt = minuteStart + Math.floor((index / requests) * 55_000) + between(0, 4_000);
      const chain = random() < 0.78 ? 'fast' : 'quality';
      const stream = random() < 0.45;
      const prompt = between(24, 380);
      const completion = between(40, 520);
      const attempts: AttemptRecord[] = [];
      let clock = startedAt;
      const failed = (provider: string, model: string, key: string, entryIndex: number, retry: number) => {
        const latency = between(60, 160);
        attempts.push({
          provider,
          model,
          key,
          entryIndex,
          outcome: 'failed',
          reason: `429 requests per minute, retry in ${retry}s`,
          status: 429,
          failure: 'rate-limit',
          startedAt: clock,
          latencyMs: latency,
        });
        clock += latency;
      };
      const skipped = (provider: string, model: string, key: string, entryIndex: number, left: number) => {
        attempts.push({
          provider,
          model,
          key,
          entryIndex,
          outcome: 'skipped',
          reason: `cooldown for ${left}s: 429 requests per minute, retry in ${left + 3}s`,
          failure: 'cooldown',
          startedAt: clock,
          latencyMs: 0,
        });
      };
      const answered = (
        provider: string,
        model: string,
        key: string,
        entryIndex: number,
        latency: number,
      ) => {
        const ttft = stream ? Math.round(latency * (0.08 + random() * 0.12)) : undefined;
        attempts.push({
          provider,
          model,
          key,
          entryIndex,
          outcome: 'answered',
          reason: '200',
          status: 200,
          startedAt: clock,
          latencyMs: latency,
          ttftMs: ttft,
          usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion },
        });
        clock += latency;
      };
      const groq = ['groq', 'llama-3.1-8b-instant', 'key 1 (…groq)'] as const;
      const cerebras = ['cerebras', 'llama3.1-8b', 'key 1 (…bras)'] as const;
      const openrouter = ['openrouter', 'meta-llama/llama-3.3-70b-instruct:free', 'key 1 (…00or)'] as const;
      const exhausted = chain === 'fast' && groqLimited && cerebrasLimited && index % 3 === 0;
      if (chain === 'fast') {
        if (groqLimited) {
          if (index === 0) failed(...groq, 0, between(12, 40));
          else skipped(...groq, 0, between(5, 40));
          if (cerebrasLimited || exhausted) {
            failed(...cerebras, 1, between(20, 50));
            if (!exhausted) answered(...openrouter, 2, between(900, 2_600));
          } else answered(...cerebras, 1, between(140, 480));
        } else if (random() < 0.03) {
          attempts.push({
            provider: groq[0],
            model: groq[1],
            key: groq[2],
            entryIndex: 0,
            outcome: 'failed',
            reason: '503 the server is overloaded (after 1 retry)',
            status: 503,
            failure: 'server',
            retries: 1,
            startedAt: clock,
            latencyMs: between(300, 900),
          });
          clock += 600;
          answered(...cerebras, 1, between(140, 480));
        } else answered(...groq, 0, between(220, 720));
      } else {
        if (random() < 0.12) {
          failed(...openrouter, 0, between(30, 60));
          answered('groq', 'llama-3.3-70b-versatile', 'key 1 (…groq)', 1, between(500, 1_400));
        } else answered(...openrouter, 0, between(900, 2_600));
      }
      const answer = attempts.findLast((attempt) => attempt.outcome === 'answered');
      const endedAt = Math.max(clock, startedAt + 5);
      const outcome = answer ? 'answered' : 'failed';
      const record: RequestRecord = {
        id: `seed-${minutesAgo}-${index}-${Math.floor(random() * 1e9).toString(36)}`,
        chain,
        kind: 'chat',
        stream,
        startedAt,
        endedAt,
        outcome,
        status: answer ? 200 : 429,
        provider: answer?.provider,
        model: answer?.model,
        latencyMs: endedAt - startedAt,
        ttftMs: answer?.ttftMs !== undefined ? answer.startedAt - startedAt + answer.ttftMs : undefined,
        usage: answer?.usage,
        error: answer
          ? undefined
          : {
              code: 'chain_exhausted',
              message: 'Every entry of chain "fast" is rate-limited; retry after 18s.',
            },
        attemptCount: countSentAttempts(attempts),
        fallback: isFallback(outcome, attempts),
        attempts,
        metadata: { client: clients[between(0, clients.length - 1)]! },
      };
      logger.log(record);
      count++;
    }
  }
  await logger.close();
  database.close();
  return count;
}

/** A small seeded pseudo-random generator, so every run draws the same history. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}
