import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortWith } from './abort-with.ts';

describe('abortWith', () => {
  it('aborts the controller with the reason of whichever signal aborts first', () => {
    const client = new AbortController();
    const shutdown = new AbortController();
    const attempt = new AbortController();
    abortWith(attempt, [client.signal, shutdown.signal]);
    shutdown.abort('closing');
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.signal.reason).toBe('closing');
  });

  it('leaves nothing attached to a long-lived signal once unlinked', () => {
    const shutdown = new AbortController();
    for (let request = 0; request < 100; request++) {
      const attempt = new AbortController();
      const unlink = abortWith(attempt, [new AbortController().signal, shutdown.signal]);
      unlink();
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    const attempt = new AbortController();
    abortWith(attempt, [shutdown.signal])();
    shutdown.abort();
    expect(attempt.signal.aborted).toBe(false);
  });

  it('aborts at once when a signal is already aborted', () => {
    const attempt = new AbortController();
    abortWith(attempt, [AbortSignal.abort('gone')]);
    expect(attempt.signal.reason).toBe('gone');
  });
});
