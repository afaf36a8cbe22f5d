import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

describe('server clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    vi.resetModules();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows a server clock that runs ahead of the browser', async () => {
    const { observeServerTime, serverNow } = await import('./server-clock.ts');
    observeServerTime(1_000_000 + 5_000);
    vi.advanceTimersByTime(1_000);
    expect(serverNow()).toBe(1_000_000 + 6_000);
  });

  it('does not move time back when a status arrives late', async () => {
    const { observeServerTime, serverNow } = await import('./server-clock.ts');
    observeServerTime(1_000_000);
    vi.advanceTimersByTime(2_000);
    // Stamped 800 ms before it arrived: the server's clock did not go back.
    observeServerTime(1_000_000 + 1_200);
    expect(serverNow()).toBe(1_000_000 + 2_000);
  });

  it('follows a server clock set back, once the earlier samples are a minute old', async () => {
    const { observeServerTime, serverNow } = await import('./server-clock.ts');
    observeServerTime(1_000_000);
    vi.advanceTimersByTime(61_000);
    observeServerTime(1_000_000 + 61_000 - 10_000);
    expect(serverNow()).toBe(1_000_000 + 61_000 - 10_000);
  });

  it('ignores a status without a usable time', async () => {
    const { observeServerTime, serverNow } = await import('./server-clock.ts');
    observeServerTime(Number.NaN);
    expect(serverNow()).toBe(1_000_000);
  });
});
