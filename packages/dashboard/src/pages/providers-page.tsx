import type { ProviderView, RateLimitsConfig } from '@429chain/server/admin-api';
import { useState } from 'react';
import { useInfo, useProviders } from '../api/admin-queries.ts';
import { queryKeys } from '../api/query-keys.ts';
import { useConfigMutation } from '../api/use-config-mutation.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { ProviderForm } from '../components/provider-form.tsx';
import { ProviderTest } from '../components/provider-test.tsx';
import { formatCount } from '../format/format.ts';
import { Link } from '../router.tsx';

type Editing = { mode: 'add' } | { mode: 'edit'; id: string } | null;

const invalidates = [queryKeys.providers, queryKeys.chains, queryKeys.status];

/** Providers: list, add (from a preset), edit (keys replaceable, never shown), delete, test. */
export function ProvidersPage() {
  const providers = useProviders();
  const info = useInfo();
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string>();
  const add = useConfigMutation(
    (body: Record<string, unknown>) => ({ path: '/api/providers', method: 'POST', json: body }),
    invalidates,
  );
  const update = useConfigMutation(
    ({ id, body }: { id: string; body: Record<string, unknown> }) => ({
      path: `/api/providers/${encodeURIComponent(id)}`,
      method: 'PATCH',
      json: body,
    }),
    invalidates,
  );
  const remove = useConfigMutation(
    (id: string) => ({ path: `/api/providers/${encodeURIComponent(id)}`, method: 'DELETE' }),
    invalidates,
  );
  const editedProvider =
    editing?.mode === 'edit' ? providers.data?.find((provider) => provider.id === editing.id) : undefined;
  const persisted = info.data?.config.persisted;

  return (
    <>
      <PageHeading
        title="Providers"
        actions={
          editing?.mode !== 'add' ? (
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setNotice(undefined);
                setEditing({ mode: 'add' });
              }}
            >
              Add provider
            </button>
          ) : null
        }
      >
        Accounts at LLM providers. Keys are stored in the config
        {persisted === false ? ' (in memory: this server has no config file)' : ''} and never shown again:
        only their last four characters.
      </PageHeading>
      {notice ? (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      ) : null}
      {editing?.mode === 'add' ? (
        <ProviderForm
          busy={add.isPending}
          onCancel={() => setEditing(null)}
          onSubmit={async (body) => {
            await add.mutateAsync(body);
            setEditing(null);
            setNotice(`Provider ${String(body.id)} added and live. Put it in a chain on the Chains page.`);
          }}
        />
      ) : null}
      {editing?.mode === 'edit' && editedProvider ? (
        <ProviderForm
          key={editedProvider.id}
          provider={editedProvider}
          busy={update.isPending}
          onCancel={() => setEditing(null)}
          onSubmit={async (body) => {
            await update.mutateAsync({ id: editedProvider.id, body });
            setEditing(null);
            setNotice(`Provider ${String(body.id ?? editedProvider.id)} saved; the change is live.`);
          }}
        />
      ) : null}
      <ErrorMessage error={providers.error} />
      <ErrorMessage error={remove.error} title="Could not delete." />
      {providers.data && providers.data.length === 0 && editing === null ? (
        <EmptyState
          title="No providers yet."
          action={
            <button
              type="button"
              className="button button-primary"
              onClick={() => setEditing({ mode: 'add' })}
            >
              Add your first provider
            </button>
          }
        >
          Pick a preset (Groq, Cerebras, Gemini, OpenRouter, …): its base URL, models and free-tier limits are
          filled in for you. Paste the key from the provider's console, or a reference like{' '}
          <code>{'${GROQ_API_KEY}'}</code>.
        </EmptyState>
      ) : null}
      <ul className="provider-list">
        {providers.data?.map((provider) => (
          <ProviderCard
            key={provider.id}
            provider={provider}
            onEdit={() => {
              setNotice(undefined);
              setEditing({ mode: 'edit', id: provider.id });
            }}
            onDelete={() =>
              remove.mutate(provider.id, {
                onSuccess: () => setNotice(`Provider ${provider.id} deleted.`),
              })
            }
            deleting={remove.isPending && remove.variables === provider.id}
          />
        ))}
      </ul>
    </>
  );
}

function ProviderCard({
  provider,
  onEdit,
  onDelete,
  deleting,
}: {
  provider: ProviderView;
  onEdit: () => void;
  onDelete: () => void;
  deleting: boolean;
}) {
  const limits = provider.rateLimits ?? provider.preset?.knownLimits ?? null;
  return (
    <li
      className="provider-card panel"
      data-provider={provider.id}
      aria-labelledby={`provider-${provider.id}`}
    >
      <div className="provider-card-head">
        <div>
          <h2 id={`provider-${provider.id}`} className="provider-title">
            {provider.name}
            {provider.name !== provider.id ? <code className="provider-id">{provider.id}</code> : null}
          </h2>
          <p className="muted small">
            {provider.preset && provider.preset.name !== provider.name ? `${provider.preset.name} · ` : null}
            {provider.baseUrl ? <span className="url">{provider.baseUrl}</span> : null}
          </p>
        </div>
        <div className="provider-actions">
          <button type="button" className="button button-small" onClick={onEdit}>
            Edit
          </button>
          <ConfirmButton
            label="Delete"
            confirmLabel={`Delete ${provider.id}`}
            onConfirm={onDelete}
            busy={deleting}
            disabled={provider.usedBy.length > 0}
          />
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Key{provider.keys.length > 1 ? 's' : ''}</dt>
          <dd>
            {provider.keys.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              provider.keys.map((key) => (
                <code
                  key={key.index}
                  className="key-mask"
                  title={key.fromEnvironment ? 'Read from the environment' : 'Masked'}
                >
                  {key.masked || '…'}
                </code>
              ))
            )}
          </dd>
        </div>
        <div>
          <dt>Models</dt>
          <dd className="chips">
            {provider.models.length === 0 ? (
              <span className="muted">none listed</span>
            ) : (
              provider.models.map((model) => (
                <span key={model} className="chip">
                  {model}
                </span>
              ))
            )}
          </dd>
        </div>
        <div>
          <dt>Limits</dt>
          <dd>
            {limits ? describeLimits(limits) : <span className="muted">learnt from headers</span>}
            {limits && !provider.rateLimits ? (
              <span className="muted small"> (published, not enforced)</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Used by</dt>
          <dd>
            {provider.usedBy.length === 0 ? (
              <span className="muted">no chain yet</span>
            ) : (
              provider.usedBy.map((chain) => (
                <Link key={chain} to={`/chains/${encodeURIComponent(chain)}`} className="chip chip-link">
                  {chain}
                </Link>
              ))
            )}
          </dd>
        </div>
      </dl>
      <ProviderTest
        provider={provider}
        note={
          provider.usedBy.length > 0 ? (
            <span className="muted small">
              To delete it, remove it from {provider.usedBy.length > 1 ? 'these chains' : 'this chain'} first.
            </span>
          ) : null
        }
      />
    </li>
  );
}

function describeLimits(limits: RateLimitsConfig): string {
  const parts = [
    limits.requestsPerMinute ? `${formatCount(limits.requestsPerMinute)} req/min` : null,
    limits.requestsPerDay ? `${formatCount(limits.requestsPerDay)} req/day` : null,
    limits.tokensPerMinute ? `${formatCount(limits.tokensPerMinute)} tok/min` : null,
    limits.tokensPerDay ? `${formatCount(limits.tokensPerDay)} tok/day` : null,
    limits.concurrentRequests ? `${limits.concurrentRequests} at once` : null,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'none';
}
