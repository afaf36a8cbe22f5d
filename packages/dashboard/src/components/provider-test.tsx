import type { ProviderView, TestAnswer } from '@429chain/server/admin-api';
import { useMutation } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { adminJson } from '../api/admin-client.ts';
import { formatLatency } from '../format/format.ts';
import { AttemptTrail } from './attempt-trail.tsx';
import { ErrorMessage } from './error-message.tsx';

const testPrompt = 'Reply with one short sentence to confirm you are reachable.';

/** Sends one short prompt to a provider's first model (`POST /api/test`) and shows the answer and trail. */
export function ProviderTest({ provider, note }: { provider: ProviderView; note?: ReactNode }) {
  const model = provider.models[0];
  const test = useMutation({
    mutationFn: () =>
      adminJson<TestAnswer>('/api/test', {
        method: 'POST',
        json: { provider: provider.id, model, prompt: testPrompt, maxTokens: 64 },
        timeoutMs: false,
      }),
  });
  return (
    <div className="provider-test">
      <div className="provider-test-row">
        <button
          type="button"
          className="button button-small"
          onClick={() => test.mutate()}
          disabled={!model || test.isPending}
          title={
            model ? `Send a short prompt to ${provider.id}/${model}` : 'Add a model to test this provider'
          }
        >
          {test.isPending ? 'Testing…' : 'Test'}
        </button>
        {note}
      </div>
      <ErrorMessage error={test.error} title="Test failed." />
      {test.data ? (
        <div className="test-result" role="status">
          <p className={test.data.ok ? 'test-ok' : 'test-failed'}>
            <strong>{test.data.ok ? 'Answered' : `Failed (${test.data.status})`}</strong>{' '}
            <span className="muted">
              {provider.id}/{model} in {formatLatency(test.data.record.latencyMs)}
            </span>
          </p>
          {test.data.content ? <blockquote className="answer">{test.data.content}</blockquote> : null}
          {!test.data.ok && test.data.record.error ? (
            <p className="error-text">{test.data.record.error.message}</p>
          ) : null}
          <AttemptTrail attempts={test.data.record.attempts} />
        </div>
      ) : null}
    </div>
  );
}
