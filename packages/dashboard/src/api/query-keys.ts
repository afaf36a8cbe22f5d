/** TanStack Query keys, in one place so live updates and pages agree. */
export const queryKeys = {
  info: ['info'] as const,
  presets: ['presets'] as const,
  providers: ['providers'] as const,
  chains: ['chains'] as const,
  settings: ['settings'] as const,
  status: ['status'] as const,
  requestsAll: ['requests'] as const,
  requests: (filters: object) => ['requests', filters] as const,
  request: (id: string) => ['request', id] as const,
  stats: (range: string) => ['stats', range] as const,
};
