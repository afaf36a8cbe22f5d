import type { RateLimits } from '@429chain/core';

const units: ReadonlyArray<[keyof RateLimits, string]> = [
  ['requestsPerMinute', 'req/min'],
  ['requestsPerDay', 'req/day'],
  ['tokensPerMinute', 'tok/min'],
  ['tokensPerDay', 'tok/day'],
  ['concurrentRequests', 'concurrent'],
];

/** Published limits as one phrase: `30 req/min, 1,000 req/day, 12,000 tok/min`; `-` when none are known. */
export function formatLimits(limits: RateLimits | undefined): string {
  if (!limits) return '-';
  const parts = units.flatMap(([field, unit]) => {
    const value = limits[field];
    return value === undefined ? [] : [`${value.toLocaleString('en-US')} ${unit}`];
  });
  return parts.length > 0 ? parts.join(', ') : '-';
}
