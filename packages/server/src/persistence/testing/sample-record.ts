import { type AttemptRecord, countSentAttempts, isFallback, type RequestRecord } from '@429chain/core';

/** An attempt that answered, for tests; override what matters. */
export function sampleAttempt(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    provider: 'groq',
    model: 'llama-3.3-70b',
    key: 'key 1 (…a1b2)',
    entryIndex: 0,
    outcome: 'answered',
    reason: '200',
    status: 200,
    startedAt: 1_700_000_000_000,
    latencyMs: 100,
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    ...overrides,
  };
}

/**
 * A request answered by its first attempt, for tests; override what matters. Its attempt
 * count and fallback are worked out from its attempts, as the engine does.
 */
export function sampleRecord(overrides: Partial<RequestRecord> & { id: string }): RequestRecord {
  const startedAt = overrides.startedAt ?? 1_700_000_000_000;
  const attempts = overrides.attempts ?? [sampleAttempt({ startedAt: startedAt + 1 })];
  return {
    chain: 'fast',
    kind: 'chat',
    stream: false,
    startedAt,
    endedAt: startedAt + 120,
    outcome: 'answered',
    status: 200,
    provider: 'groq',
    model: 'llama-3.3-70b',
    latencyMs: 120,
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    attemptCount: countSentAttempts(attempts),
    fallback: isFallback(overrides.outcome ?? 'answered', attempts),
    attempts,
    ...overrides,
  };
}
