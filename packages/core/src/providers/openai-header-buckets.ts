import type { BucketWindow } from '../rate-limit/bucket.ts';
import type { HeaderBucketSpec, ResetFormat } from './provider-preset.ts';

/** Options of {@link openAIHeaderBuckets}. */
export interface OpenAIHeaderBucketsOptions {
  /**
   * Each bucket's kind and window, and the header suffix when it is not the kind (Cerebras's
   * `requests-day`): `x-ratelimit-{limit,remaining,reset}-<suffix>`.
   */
  buckets: ReadonlyArray<{
    kind: HeaderBucketSpec['kind'];
    window: BucketWindow;
    suffix?: string | undefined;
  }>;
  /** How the reset headers are written. @default 'auto' */
  resetFormat?: ResetFormat | undefined;
}

/**
 * The OpenAI-style `x-ratelimit-{limit,remaining,reset}-…` buckets, per key and model, that most
 * OpenAI-compatible providers send, each with its own windows and reset format.
 */
export function openAIHeaderBuckets(options: OpenAIHeaderBucketsOptions): HeaderBucketSpec[] {
  return options.buckets.map(({ kind, window, suffix = kind }) => ({
    kind,
    window,
    scope: 'model',
    limitHeader: `x-ratelimit-limit-${suffix}`,
    remainingHeader: `x-ratelimit-remaining-${suffix}`,
    resetHeader: `x-ratelimit-reset-${suffix}`,
    resetFormat: options.resetFormat ?? 'auto',
  }));
}
