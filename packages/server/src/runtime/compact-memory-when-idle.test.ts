import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compactMemoryWhenIdle, type IdleCompactor } from './compact-memory-when-idle.ts';

describe('compactMemoryWhenIdle', () => {
  let compactor: IdleCompactor | undefined;
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: [
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'setImmediate',
        'clearImmediate',
        'Date',
      ],
    });
  });
  afterEach(() => {
    compactor?.close();
    compactor = undefined;
    vi.useRealTimers();
  });

  function start(idleMs: () => number) {
    const server = new EventEmitter();
    const collect = vi.fn();
    const durations: number[] = [];
    compactor = compactMemoryWhenIdle({
      server,
      idleMs,
      collect,
      now: () => Date.now(),
      onCompaction: (durationMs) => durations.push(durationMs),
    });
    return { server, collect, durations };
  }

  it('compacts once right after startup and not again while nothing happens', async () => {
    const { collect, durations } = start(() => 1_000);

    await vi.advanceTimersByTimeAsync(0);
    expect(collect).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(compactor?.compactions).toBe(1);
    expect(durations).toHaveLength(1);
  });

  it('compacts once after a busy spell, only when the quiet time has passed', async () => {
    const { server, collect } = start(() => 1_000);
    await vi.advanceTimersByTimeAsync(0);

    for (let tick = 0; tick < 20; tick++) {
      server.emit('request');
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(collect).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(600);
    expect(collect).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(collect).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('does nothing while the quiet time is 0, and reads it again at every check', async () => {
    let idleMs = 0;
    const { server, collect } = start(() => idleMs);
    server.emit('request');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collect).not.toHaveBeenCalled();

    idleMs = 500;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('stops counting and checking once closed', async () => {
    const { server, collect } = start(() => 100);
    compactor?.close();
    server.emit('request');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(collect).not.toHaveBeenCalled();
    expect(server.listenerCount('request')).toBe(0);
  });
});

describe('compactMemoryWhenIdle with V8', () => {
  it('runs a real collection without --expose-gc and leaves gc() unexposed to later contexts', async () => {
    const server = new EventEmitter();
    let compacted = 0;
    const compactor = compactMemoryWhenIdle({ server, idleMs: () => 1, onCompaction: () => compacted++ });
    await new Promise((resolve) => setImmediate(resolve));
    compactor.close();

    expect(compacted).toBe(1);
    const { runInNewContext } = await import('node:vm');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
