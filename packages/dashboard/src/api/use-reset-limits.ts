import type { ChainStatus } from '@429chain/server/admin-api';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { adminJson } from './admin-client.ts';
import { queryKeys } from './query-keys.ts';

/** `POST /api/ratelimits/reset`: forgets one provider's rate-limit state, or all of it. */
export function useResetLimits() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (target: { provider?: string }) =>
      adminJson<{ reset: string; status: ChainStatus }>('/api/ratelimits/reset', {
        method: 'POST',
        json: target,
      }),
    onSuccess: (answer) => queryClient.setQueryData(queryKeys.status, answer.status),
  });
}
