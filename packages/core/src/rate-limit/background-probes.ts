import type { EngineSettings } from '../config/resolve-config.ts';
import type { Logger } from '../events/logger.ts';
import type { Candidate } from '../routing/candidate.ts';
import type { RateLimitTracker } from './rate-limit-tracker.ts';

/** What {@link BackgroundProbes} needs from the engine. */
export interface BackgroundProbesOptions {
  tracker: () => RateLimitTracker;
  settings: () => EngineSettings;
  fetch: typeof globalThis.fetch;
  now: () => number;
  logger: Logger;
  /** Aborted when the chain closes: every probe in flight is cut. */
  shutdown: AbortSignal;
}

/**
 * Probes, in the background, an entry whose circuit is open, so that a provider that has
 * recovered is used again even when no request arrives to probe it. When the circuit's open
 * time ends, one probe goes through the store like any attempt (so across replicas only one
 * probes): `GET /models` where the provider has one (it costs no quota), or, with
 * `backgroundProbes: all`, a one-token completion. Its success closes the circuit; its failure
 * opens it again for longer, and the next probe is scheduled then. Timers are unref'd.
 */
export class BackgroundProbes {
  readonly #options: BackgroundProbesOptions;
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(options: BackgroundProbesOptions) {
    this.#options = options;
  }

  /** Probes the candidate's entry once its circuit's open time ends at `until`. */
  schedule(candidate: Candidate, until: number): void {
    if (this.#closed || this.#options.settings().backgroundProbes === 'off') return;
    if (this.#request(candidate) === undefined) return;
    const scope = candidate.scopes.entry;
    clearTimeout(this.#timers.get(scope));
    const timer = setTimeout(
      () => {
        this.#timers.delete(scope);
        void this.#probe(candidate);
      },
      Math.max(0, until - this.#options.now()),
    );
    (timer as { unref?: () => void }).unref?.();
    this.#timers.set(scope, timer);
  }

  /** Cancels every scheduled probe. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** The request that probes an entry, or undefined when none may be sent in the background. */
  #request(candidate: Candidate): { path: string; init: RequestInit } | undefined {
    const { provider } = candidate.entry;
    const mode = this.#options.settings().backgroundProbes;
    if (provider.preset.modelsEndpoint !== false) return { path: '/models', init: { method: 'GET' } };
    if (mode !== 'all') return undefined;
    return {
      path: '/chat/completions',
      init: {
        method: 'POST',
        body: JSON.stringify({
          model: candidate.entry.model,
          messages: [{ role: 'user', content: 'ping' }],
          max_tokens: 1,
        }),
      },
    };
  }

  async #probe(candidate: Candidate): Promise<void> {
    if (this.#closed) return;
    const request = this.#request(candidate);
    if (!request) return;
    const tracker = this.#options.tracker();
    // Through the store like any attempt (one probe across replicas), but spending no quota.
    const acquired = await tracker.acquire(candidate, 0, { blocksOnly: true }).catch(() => undefined);
    if (!acquired) return;
    if (!acquired.ok) {
      // A timer can fire a millisecond before the open time ends, as the clock reads it: the
      // circuit is still open, so the probe waits for its end instead of being dropped.
      const { state, until } = acquired.skip;
      if (state === 'circuit-open' && until !== undefined)
        this.schedule(candidate, Math.max(until, this.#options.now() + 1));
      return;
    }
    const { lease } = acquired;
    if (!lease.probes.includes(candidate.scopes.entry)) {
      // The circuit closed meanwhile (a client's probe answered): nothing to decide.
      await tracker.settle(lease, {}).catch(() => {});
      return;
    }
    const { provider } = candidate.entry;
    const controller = new AbortController();
    const cut = () => controller.abort();
    this.#options.shutdown.addEventListener('abort', cut, { once: true });
    const timer = setTimeout(cut, this.#options.settings().probeFirstTokenTimeoutMs);
    (timer as { unref?: () => void }).unref?.();
    let failure: string | undefined;
    let inconclusive: string | undefined;
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers };
      if (candidate.key.value) {
        Object.assign(
          headers,
          provider.preset.authHeaders?.(candidate.key.value) ?? {
            authorization: `Bearer ${candidate.key.value}`,
          },
        );
      }
      const response = await this.#options.fetch(`${provider.baseUrl}${request.path}`, {
        ...request.init,
        headers,
        signal: controller.signal,
      });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        failure = `background probe answered ${response.status}`;
      } else if (!response.ok) {
        // Not a sign of the fault: a client's request decides instead.
        inconclusive = `background probe answered ${response.status}`;
      }
    } catch (error) {
      failure = `background probe failed (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      clearTimeout(timer);
      this.#options.shutdown.removeEventListener('abort', cut);
    }
    if (this.#closed) return;
    try {
      if (failure !== undefined) await tracker.fail(lease, { kind: 'server', reason: failure });
      else if (inconclusive !== undefined)
        await tracker.fail(lease, { kind: 'invalid-request', reason: inconclusive });
      else await tracker.settle(lease, { success: 'answer' });
    } catch (error) {
      this.#options.logger.error('rate-limit store failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
