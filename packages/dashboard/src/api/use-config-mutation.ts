import { type QueryKey, useMutation, useQueryClient } from '@tanstack/react-query';
import type { AdminRequest } from './admin-client.ts';
import { adminJson } from './admin-client.ts';

/** A config edit through the admin API: on success, refetches what it changed. */
export function useConfigMutation<Variables, Result = unknown>(
  request: (variables: Variables) => { path: string } & AdminRequest,
  invalidates: QueryKey[],
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (variables: Variables) => {
      const { path, ...rest } = request(variables);
      return adminJson<Result>(path, rest);
    },
    onSuccess: async () => {
      await Promise.all(invalidates.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
    },
  });
}
