import { describe, expect, test } from 'vitest';
import { readErrorBody } from './read-error-body.ts';

const GEMINI_ERROR = {
  error: {
    code: 429,
    message: 'You exceeded your current quota, please check your plan and billing details.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
    ],
  },
};

describe('readErrorBody', () => {
  test('reads the OpenAI shape {error:{message,type,param,code}}', () => {
    const body = JSON.stringify({
      error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
    expect(readErrorBody(body)).toEqual({
      message: 'Rate limit reached',
      type: 'requests',
      code: 'rate_limit_exceeded',
      json: JSON.parse(body),
    });
  });

  test('reads Gemini error details, and its textual status as the type', () => {
    const info = readErrorBody(JSON.stringify(GEMINI_ERROR));
    expect(info.message).toMatch(/exceeded your current quota/);
    expect(info.code).toBe('429');
    expect(info.type).toBe('RESOURCE_EXHAUSTED');
    expect(info.details).toHaveLength(2);
  });

  test('unwraps a Gemini body wrapped in a JSON array', () => {
    const info = readErrorBody(JSON.stringify([GEMINI_ERROR]));
    expect(info.code).toBe('429');
    expect(info.type).toBe('RESOURCE_EXHAUSTED');
    expect(info.details).toHaveLength(2);
    expect(Array.isArray(info.json)).toBe(true);
  });

  test('reads Mistral top-level fields, keeping its string code', () => {
    const info = readErrorBody(
      '{"object":"error","message":"Requests rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}',
    );
    expect(info).toMatchObject({
      message: 'Requests rate limit exceeded',
      type: 'rate_limited',
      code: '1300',
    });
    expect(info.param).toBeUndefined();
  });

  test('reads Cerebras top-level fields, and the same inside error', () => {
    const fields = {
      message: 'Requests per minute limit exceeded - too many requests sent.',
      type: 'too_many_requests_error',
      param: 'quota',
      code: 'request_quota_exceeded',
    };
    const expected = { ...fields };
    expect(readErrorBody(JSON.stringify(fields))).toMatchObject(expected);
    expect(readErrorBody(JSON.stringify({ error: fields }))).toMatchObject(expected);
  });

  test('reads NVIDIA {status,title}', () => {
    expect(readErrorBody('{"status":429,"title":"Too Many Requests"}')).toMatchObject({
      message: 'Too Many Requests',
      status: 429,
    });
  });

  test('prefers a problem+json detail over its title', () => {
    const info = readErrorBody(
      '{"type":"about:blank","status":400,"title":"Bad Request","detail":"bad model"}',
    );
    expect(info.message).toBe('bad model');
    expect(info.status).toBe(400);
  });

  test('reads the first of Cloudflare errors[], turning a numeric code into a string', () => {
    const info = readErrorBody(
      '{"result":null,"success":false,"errors":[{"code":3036,"message":"AiError: you have used up your daily free allocation of 10,000 neurons"}],"messages":[]}',
    );
    expect(info.code).toBe('3036');
    expect(info.message).toMatch(/daily free allocation/);
  });

  test('reads OpenRouter metadata', () => {
    const info = readErrorBody(
      JSON.stringify({
        error: {
          code: 429,
          message: 'Provider returned error',
          metadata: { raw: 'busy', provider_name: 'Chutes' },
        },
      }),
    );
    expect(info).toMatchObject({ code: '429', message: 'Provider returned error' });
    expect(info.metadata).toEqual({ raw: 'busy', provider_name: 'Chutes' });
  });

  test('reads {error:"plain string"} with its siblings', () => {
    expect(readErrorBody('{"error":"Model is overloaded","error_type":"overloaded"}')).toMatchObject({
      message: 'Model is overloaded',
      type: 'overloaded',
    });
  });

  test('describes a structured message (Mistral validation errors)', () => {
    const info = readErrorBody(
      '{"object":"error","message":{"detail":[{"type":"missing","loc":["body","model"],"msg":"Field required"}]},"type":"invalid_request_error"}',
    );
    expect(info.message).toBe('Field required');
    expect(info.type).toBe('invalid_request_error');
  });

  test('reads a FastAPI {detail:"…"}', () => {
    expect(readErrorBody('{"detail":"Not Found"}').message).toBe('Not Found');
  });

  test('keeps plain prose as the message', () => {
    expect(readErrorBody('  upstream connect error or disconnect/reset before headers \n')).toEqual({
      message: 'upstream connect error or disconnect/reset before headers',
    });
  });

  test('caps a long non-JSON body', () => {
    expect(readErrorBody(`<html>${'x'.repeat(5_000)}</html>`).message).toHaveLength(1_000);
  });

  test('answers an empty message for an empty body', () => {
    expect(readErrorBody('')).toEqual({ message: '' });
    expect(readErrorBody('   ')).toEqual({ message: '' });
  });

  test('never throws on odd JSON', () => {
    for (const text of [
      'null',
      '42',
      '"just text"',
      '[]',
      '[1,2]',
      '{}',
      '{"error":null}',
      '{"errors":[]}',
      'true',
    ]) {
      expect(() => readErrorBody(text)).not.toThrow();
    }
    expect(readErrorBody('"just text"').message).toBe('just text');
    expect(readErrorBody('{}').message).toBe('');
  });

  test('never throws on a pathologically nested message', () => {
    const deep = `${'{"message":'.repeat(20_000)}"x"${'}'.repeat(20_000)}`;
    expect(() => readErrorBody(deep)).not.toThrow();
  });
});
