import { describe, expect, test } from 'vitest';
import {
  classifyFailure,
  formatWait,
  saysNoCredit,
  subjectFromWording,
  windowFromWording,
} from './classify-failure.ts';
import type { ErrorAnswer } from './provider-preset.ts';

const NOW = Date.UTC(2026, 2, 10, 15, 30, 0);

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): ErrorAnswer {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    now: NOW,
  };
}

function openAIError(message: string, code?: string, type?: string) {
  return { error: { message, type: type ?? null, param: null, code: code ?? null } };
}

describe('classifyFailure by status', () => {
  test('402 is no credit for the whole key', () => {
    expect(classifyFailure(answer(402, openAIError('Insufficient Balance')))).toMatchObject({
      kind: 'no-credit',
      scope: 'key',
      reason: '402 out of credit',
      message: 'Insufficient Balance',
    });
  });

  test('413 is too large, whatever it says', () => {
    expect(classifyFailure(answer(413, 'Payload Too Large')).kind).toBe('too-large');
  });

  test('401 and 403 are auth problems of the key', () => {
    expect(classifyFailure(answer(401, openAIError('Invalid API Key', 'invalid_api_key')))).toMatchObject({
      kind: 'auth',
      scope: 'key',
      reason: '401 invalid key',
      code: 'invalid_api_key',
    });
    expect(classifyFailure(answer(403, 'Forbidden')).kind).toBe('auth');
  });

  test('404 is a missing model', () => {
    expect(
      classifyFailure(answer(404, openAIError('The model `gpt-9` does not exist', 'model_not_found'))),
    ).toMatchObject({
      kind: 'not-found',
      reason: '404 model not found',
    });
  });

  test.each([408, 500, 502, 503, 504, 529])('%i is a server fault', (status) => {
    expect(classifyFailure(answer(status)).kind).toBe('server');
  });

  test('an error without an HTTP error status (inside a 200 stream) is a server fault', () => {
    expect(classifyFailure(answer(200, '{"error":{"message":"stream broke"}}')).kind).toBe('server');
  });

  test('other 4xx statuses are invalid requests returned to the client', () => {
    expect(classifyFailure(answer(405)).kind).toBe('invalid-request');
    expect(classifyFailure(answer(409, 'conflict')).kind).toBe('invalid-request');
  });
});

describe('classifyFailure of 400 and 422', () => {
  test('context_length_exceeded is a context-length failure', () => {
    const verdict = classifyFailure(
      answer(
        400,
        openAIError(
          "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          'context_length_exceeded',
          'invalid_request_error',
        ),
      ),
    );
    expect(verdict).toMatchObject({
      kind: 'context-length',
      reason: '400 context length exceeded',
      code: 'context_length_exceeded',
      type: 'invalid_request_error',
    });
  });

  test('context window wording without a code is a context-length failure too', () => {
    expect(
      classifyFailure(answer(400, { message: 'prompt is too long: 210000 tokens > 200000 maximum' })).kind,
    ).toBe('context-length');
    expect(classifyFailure(answer(422, { detail: 'Input is too long for the context window' })).kind).toBe(
      'context-length',
    );
  });

  test('a decommissioned model is not found, not an invalid request', () => {
    const body = openAIError(
      'The model `mixtral-8x7b-32768` has been decommissioned and is no longer supported.',
      'model_decommissioned',
      'invalid_request_error',
    );
    expect(classifyFailure(answer(400, body)).kind).toBe('not-found');
  });

  test('any other 400 or 422 is an invalid request with the provider message and param', () => {
    const body = {
      error: {
        message: "'messages' must contain 'json'",
        type: 'invalid_request_error',
        param: 'messages',
        code: null,
      },
    };
    expect(classifyFailure(answer(400, body))).toEqual({
      kind: 'invalid-request',
      scope: undefined,
      window: undefined,
      retryAt: undefined,
      reason: '400 invalid request',
      message: "'messages' must contain 'json'",
      code: undefined,
      type: 'invalid_request_error',
      param: 'messages',
    });
  });
});

describe('classifyFailure of 429', () => {
  test('a per-minute limit is a rate limit with the retry-after wait', () => {
    const verdict = classifyFailure(
      answer(
        429,
        openAIError(
          'Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
          'rate_limit_exceeded',
          'requests',
        ),
        { 'retry-after': '20' },
      ),
    );
    expect(verdict).toEqual({
      kind: 'rate-limit',
      subject: 'requests',
      limits: [{ kind: 'requests', limit: 3, window: 'minute', evidence: 'message' }],
      scope: 'model',
      window: 'minute',
      retryAt: NOW + 20_000,
      reason: '429 requests per minute, retry in 20s',
      message: expect.stringMatching(/^Rate limit reached/),
      code: 'rate_limit_exceeded',
      type: 'requests',
      param: undefined,
    });
  });

  test('a bare 429 is a per-minute rate limit without a retry time', () => {
    expect(classifyFailure(answer(429))).toMatchObject({
      kind: 'rate-limit',
      scope: 'model',
      window: 'minute',
      retryAt: undefined,
      reason: '429 rate limit per minute',
      message: 'Upstream answered 429',
    });
  });

  test('insufficient_quota is no credit, not a rate limit', () => {
    const body = openAIError(
      'You exceeded your current quota, please check your plan and billing details.',
      'insufficient_quota',
      'insufficient_quota',
    );
    expect(classifyFailure(answer(429, body))).toMatchObject({ kind: 'no-credit', scope: 'key' });
  });

  test('credit wording is no credit', () => {
    expect(classifyFailure(answer(429, { error: 'Your credits have been exhausted' })).kind).toBe(
      'no-credit',
    );
  });

  test('"request too large" and tokens_limit_reached are too large', () => {
    const tooLarge = openAIError(
      'Request too large for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Requested 45000.',
      'rate_limit_exceeded',
      'tokens',
    );
    expect(classifyFailure(answer(429, tooLarge)).kind).toBe('too-large');
    expect(
      classifyFailure(answer(429, openAIError('Request body too large', 'tokens_limit_reached'))).kind,
    ).toBe('too-large');
  });

  test.each([
    ['on requests per day (RPD): Limit 1000, Used 1000', 'day', 'requests per day'],
    ['on tokens per day (TPD): Limit 100000', 'day', 'tokens per day'],
    ['Daily limit reached', 'day', 'daily quota'],
    ['Quota exceeded: GenerateRequestsPerDayPerProjectPerModel', 'day', 'requests per day'],
    ['Rate limit of 50 per 86400s exceeded for UserByModelByDay', 'day', 'daily quota'],
    ['Rate limit exceeded: free-models-per-day', 'day', 'daily quota'],
    ['you have used up your daily free allocation of 10,000 neurons', 'day', 'daily quota'],
    ['Monthly token limit exceeded', 'month', 'tokens per month'],
    ['limited to 1000 API calls / month', 'month', 'requests per month'],
  ])('%j is a quota with window %s', (message, window, label) => {
    const verdict = classifyFailure(answer(429, { error: { message } }));
    expect(verdict).toMatchObject({ kind: 'quota', scope: 'model', window });
    expect(verdict.reason.startsWith(`429 ${label}`)).toBe(true);
  });

  test('a monthly quota without a hint waits for the next month', () => {
    const verdict = classifyFailure(answer(429, { message: 'Monthly quota exceeded' }));
    expect(verdict.retryAt).toBe(Date.UTC(2026, 3, 1));
  });

  test('a daily quota waits for the given clock when nothing says when', () => {
    const body = { error: { message: 'Daily limit reached' } };
    expect(classifyFailure(answer(429, body)).retryAt).toBeUndefined();
    expect(classifyFailure(answer(429, body), { dailyReset: 'utc' }).retryAt).toBe(Date.UTC(2026, 2, 11));
  });

  test('a daily quota can be told to ignore short hints and wait for the clock', () => {
    const verdict = classifyFailure(
      answer(429, { error: { message: 'Daily limit reached' } }, { 'retry-after': '60' }),
      {
        dailyReset: 'pacific',
        quotaWaitsForClock: true,
      },
    );
    expect(verdict.retryAt).toBe(Date.UTC(2026, 2, 11, 7));
  });

  test('a limit with no hint can clear at the end of its wall-clock window', () => {
    expect(classifyFailure(answer(429), { clearsAtWindowEnd: true }).retryAt).toBe(
      Date.UTC(2026, 2, 10, 15, 31),
    );
  });

  test('per-second and per-hour wording sets the window', () => {
    expect(classifyFailure(answer(429, { message: 'Too many requests per second' })).window).toBe('second');
    expect(classifyFailure(answer(429, { message: 'Hourly limit reached' })).window).toBe('hour');
  });

  test('overloaded wording on a 429 is a server fault', () => {
    expect(
      classifyFailure(answer(429, { message: 'Service tier capacity exceeded for this model.' })).kind,
    ).toBe('server');
    expect(classifyFailure(answer(429, { code: 'queue_exceeded', message: 'busy' })).kind).toBe('server');
  });

  test('a concurrency limit is a rate limit without a window', () => {
    expect(classifyFailure(answer(429, { message: 'Too many concurrent requests' }))).toMatchObject({
      kind: 'rate-limit',
      window: undefined,
      reason: '429 concurrent requests',
    });
  });

  test('a billing link in a rate-limit message is not a credit problem', () => {
    const message =
      'Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute (TPM): Limit 12000, Used 11000, Requested 2000. Please try again in 5s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing';
    expect(classifyFailure(answer(429, openAIError(message, 'rate_limit_exceeded', 'tokens')))).toMatchObject(
      {
        kind: 'rate-limit',
        window: 'minute',
        retryAt: NOW + 5_000,
      },
    );
  });
});

describe('classifyFailure retryAt', () => {
  test('prefers retry-after-ms, then retry-after', () => {
    expect(classifyFailure(answer(429, '', { 'retry-after-ms': '1500', 'retry-after': '9' })).retryAt).toBe(
      NOW + 1_500,
    );
    expect(classifyFailure(answer(503, '', { 'retry-after': 'Tue, 10 Mar 2026 15:31:00 GMT' })).retryAt).toBe(
      NOW + 60_000,
    );
  });

  test('then a body RetryInfo retryDelay', () => {
    const body = {
      error: {
        code: 429,
        message: 'Resource exhausted. Please retry in 9s.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26.5s' }],
      },
    };
    expect(classifyFailure(answer(429, body)).retryAt).toBe(NOW + 26_500);
  });

  test('then a hint in the message', () => {
    expect(classifyFailure(answer(429, { error: { message: 'Please try again in 1m30.5s.' } })).retryAt).toBe(
      NOW + 90_500,
    );
  });

  test('then an x-ratelimit-reset epoch', () => {
    expect(classifyFailure(answer(429, '', { 'x-ratelimit-reset': '1773156660' })).retryAt).toBe(
      NOW + 60_000,
    );
  });

  test('never reads x-ratelimit-reset-requests, which is a bucket refill time', () => {
    expect(
      classifyFailure(answer(429, '', { 'x-ratelimit-reset-requests': '2m59.56s' })).retryAt,
    ).toBeUndefined();
  });

  test('is left out for failures that are not about waiting', () => {
    expect(classifyFailure(answer(400, 'bad', { 'retry-after': '5' })).retryAt).toBeUndefined();
  });

  test('a 5xx keeps its retry-after for the one retry on the same entry', () => {
    expect(classifyFailure(answer(503, '', { 'retry-after': '2' }))).toMatchObject({
      kind: 'server',
      retryAt: NOW + 2_000,
      reason: '503 server error, retry in 2s',
    });
  });
});

describe('classifyFailure messages', () => {
  test('uses an x-error-message header when the body is empty', () => {
    const verdict = classifyFailure(
      answer(402, '', { 'x-error-message': 'You have exceeded your monthly credits' }),
    );
    expect(verdict.message).toBe('You have exceeded your monthly credits');
  });

  test('keeps prose bodies as the message', () => {
    expect(classifyFailure(answer(502, 'Bad Gateway')).message).toBe('Bad Gateway');
  });
});

describe('building blocks', () => {
  test('windowFromWording picks the window named first', () => {
    expect(windowFromWording('on requests per minute (RPM). Upgrade today')).toBe('minute');
    expect(windowFromWording('GenerateContentInputTokensPerModelPerMinute-FreeTier')).toBe('minute');
    expect(windowFromWording('free-models-per-min')).toBe('minute');
    expect(windowFromWording('UserByModelByDay')).toBe('day');
    expect(windowFromWording('Rate limit of 15 per 60s exceeded for UserByMinute')).toBe('minute');
    expect(windowFromWording('Rate limit exceeded')).toBeUndefined();
  });

  test('subjectFromWording tells requests from tokens', () => {
    expect(subjectFromWording('on tokens per minute (TPM)')).toBe('tokens');
    expect(subjectFromWording('requests\non requests per day (RPD)')).toBe('requests');
    expect(subjectFromWording('Rate limit exceeded')).toBeUndefined();
  });

  test('saysNoCredit is not fooled by "billing details" or "add credits to unlock"', () => {
    expect(saysNoCredit('please check your plan and billing details')).toBe(false);
    expect(saysNoCredit('Add 10 credits to unlock 1000 free model requests per day')).toBe(false);
    expect(saysNoCredit('Insufficient credits')).toBe(true);
    expect(saysNoCredit('This request requires more credits, or fewer max_tokens.')).toBe(true);
  });

  test('formatWait writes short waits', () => {
    expect(
      [370, 2_000, 7_660, 60_000, 606_048, 7_200_000, 33_011_380, 1_843_200_000].map(formatWait),
    ).toEqual(['370ms', '2s', '7.7s', '1m', '10m6s', '2h', '9h10m', '21d8h']);
  });
});
