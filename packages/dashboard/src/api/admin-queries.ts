import type {
  ChainList,
  ChainStatus,
  ProviderPresetView,
  ProviderView,
  ServerInfo,
  SettingsView,
} from '@429chain/server/admin-api';
import { useQuery } from '@tanstack/react-query';
import { adminJson } from './admin-client.ts';
import { queryKeys } from './query-keys.ts';

/**
 * The admin API's small resources. None of them polls: the live event stream
 * pushes the rate-limit status and invalidates config data when it changes.
 */

export function useInfo() {
  return useQuery({
    queryKey: queryKeys.info,
    queryFn: ({ signal }) => adminJson<ServerInfo>('/api/info', { signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function usePresets() {
  return useQuery({
    queryKey: queryKeys.presets,
    queryFn: async ({ signal }) =>
      (await adminJson<{ data: ProviderPresetView[] }>('/api/presets', { signal })).data,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useProviders() {
  return useQuery({
    queryKey: queryKeys.providers,
    queryFn: async ({ signal }) =>
      (await adminJson<{ data: ProviderView[] }>('/api/providers', { signal })).data,
  });
}

export function useChains() {
  return useQuery({
    queryKey: queryKeys.chains,
    queryFn: ({ signal }) => adminJson<ChainList>('/api/chains', { signal }),
  });
}

export function useSettings() {
  return useQuery({
    queryKey: queryKeys.settings,
    queryFn: ({ signal }) => adminJson<SettingsView>('/api/settings', { signal }),
  });
}

/** The live rate-limit picture; the event stream replaces it on every change. */
export function useStatus() {
  return useQuery({
    queryKey: queryKeys.status,
    queryFn: ({ signal }) => adminJson<ChainStatus>('/api/ratelimits', { signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
}
