import { describe, expect, it } from 'vitest';
import { createRequestId } from './request-id.ts';

describe('createRequestId', () => {
  it('makes a UUID version 7 that carries the time', () => {
    const at = Date.UTC(2026, 10, 26, 6, 30, 0, 123);
    const id = createRequestId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts ids by the time they were made, and never repeats one', () => {
    const ids = Array.from({ length: 2_000 }, (_, index) => createRequestId(1_800_000_000_000 + index));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const sameMillisecond = Array.from({ length: 2_000 }, () => createRequestId(1_800_000_000_000));
    expect(new Set(sameMillisecond).size).toBe(sameMillisecond.length);
  });
});
