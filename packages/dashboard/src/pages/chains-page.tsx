import type { ChainDefinition, EntryConfig, ProviderView } from '@429chain/server/admin-api';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useChains, useInfo, useProviders, useStatus } from '../api/admin-queries.ts';
import { ApiError, errorMessage } from '../api/api-error.ts';
import { queryKeys } from '../api/query-keys.ts';
import { useConfigMutation } from '../api/use-config-mutation.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { type EntryChoice, EntryPicker } from '../components/entry-picker.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { FormField } from '../components/form-field.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { type KeyedEntry, SortableEntryList } from '../components/sortable-entry-list.tsx';
import { formatClock } from '../format/format.ts';
import { Link, navigate } from '../router.tsx';

const invalidates = [
  queryKeys.chains,
  queryKeys.providers,
  queryKeys.status,
  queryKeys.info,
  queryKeys.settings,
];

/** Chains: create, rename, delete, make default, and edit entries (drag-and-drop, keyboard, buttons). */
export default function ChainsPage({ selected }: { selected?: string | undefined }) {
  const chains = useChains();
  const providers = useProviders();
  const [creating, setCreating] = useState(false);
  const list = chains.data?.data ?? [];
  const current =
    list.find((chain) => chain.name === selected) ??
    (selected === undefined
      ? (list.find((chain) => chain.name === chains.data?.defaultChain) ?? list[0])
      : undefined);

  return (
    <>
      <PageHeading
        title="Chains"
        actions={
          creating ? null : (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New chain
            </button>
          )
        }
      >
        A chain is an ordered list of provider + model entries, tried in turn until one answers. Clients pick
        it by sending its name as <code>model</code>. Changes apply at once, without a restart.
      </PageHeading>
      <ErrorMessage error={chains.error ?? providers.error} />
      {creating && providers.data ? (
        <NewChainForm providers={providers.data} onDone={() => setCreating(false)} />
      ) : null}
      {chains.data && list.length === 0 && !creating ? (
        <EmptyState
          title="No chains yet."
          action={
            providers.data && providers.data.length > 0 ? (
              <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
                Create your first chain
              </button>
            ) : (
              <Link to="/providers" className="button button-primary">
                Add a provider first
              </Link>
            )
          }
        >
          Put your fastest free entries first and the ones with the biggest quotas after them.
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <div className="chains-layout">
          <nav aria-label="Chains" className="chain-nav">
            <ul>
              {list.map((chain) => (
                <li key={chain.name}>
                  <Link
                    to={`/chains/${encodeURIComponent(chain.name)}`}
                    aria-current={chain.name === current?.name ? 'page' : undefined}
                  >
                    <span>{chain.name}</span>
                    <span className="muted small">
                      {chain.entries.length} {chain.entries.length === 1 ? 'entry' : 'entries'}
                      {chain.name === chains.data?.defaultChain ? ' · default' : ''}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          {current && providers.data ? (
            <ChainEditor
              key={current.name}
              chain={current}
              providers={providers.data}
              isDefault={current.name === chains.data?.defaultChain}
            />
          ) : selected !== undefined ? (
            <EmptyState
              title={`There is no chain named "${selected}".`}
              action={<Link to="/chains">See all chains</Link>}
            />
          ) : null}
        </div>
      ) : null}
    </>
  );
}

function NewChainForm({ providers, onDone }: { providers: ProviderView[]; onDone: () => void }) {
  const [name, setName] = useState('');
  const [entry, setEntry] = useState<EntryChoice>(() => ({
    provider: providers[0]?.id ?? '',
    model: providers[0]?.models[0] ?? '',
  }));
  const create = useConfigMutation(
    (chain: ChainDefinition) => ({ path: '/api/chains', method: 'POST', json: chain }),
    invalidates,
  );
  const errors = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const chain = { name: name.trim(), entries: [{ provider: entry.provider, model: entry.model.trim() }] };
    create.mutate(chain, {
      onSuccess: () => {
        onDone();
        navigate(`/chains/${encodeURIComponent(chain.name)}`);
      },
    });
  };
  if (providers.length === 0) {
    return (
      <EmptyState title="A chain needs a provider." action={<Link to="/providers">Add a provider</Link>}>
        Add at least one provider, then come back to build a chain from its models.
      </EmptyState>
    );
  }
  return (
    <form className="panel new-chain" onSubmit={submit} noValidate aria-labelledby="new-chain-title">
      <h2 id="new-chain-title">New chain</h2>
      <FormField
        label="Chain name"
        error={errors.name}
        hint="Clients send it as `model`, e.g. fast or coding."
      >
        <input
          value={name}
          onChange={(event) => setName(event.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
      </FormField>
      <p className="field-hint">First entry (add more after creating it):</p>
      <EntryPicker
        providers={providers}
        value={entry}
        onChange={setEntry}
        errors={{
          provider: errors['entries[0].provider'],
          model: errors['entries[0].model'] ?? errors.entries,
        }}
      />
      {create.error && Object.keys(errors).length === 0 ? <ErrorMessage error={create.error} /> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create chain'}
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type Strategy = NonNullable<ChainDefinition['strategy']>;

let keyCounter = 0;
const keyed = (entries: EntryConfig[]): KeyedEntry[] =>
  entries.map((entry) => ({ key: `entry-${++keyCounter}`, entry }));

type SaveState =
  | { state: 'idle' }
  | { state: 'saving' }
  | { state: 'saved'; at: number }
  | { state: 'failed'; error: unknown };

function ChainEditor({
  chain,
  providers,
  isDefault,
}: {
  chain: ChainDefinition;
  providers: ProviderView[];
  isDefault: boolean;
}) {
  const status = useStatus();
  const info = useInfo();
  const [entries, setEntries] = useState<KeyedEntry[]>(() => keyed(chain.entries));
  const [save, setSave] = useState<SaveState>({ state: 'idle' });
  const [newEntry, setNewEntry] = useState<EntryChoice>({ provider: '', model: '' });
  const [name, setName] = useState(chain.name);
  const latestSave = useRef(0);

  // Take the server's entries when they change elsewhere (another tab, a file edit), unless a save is running.
  const serverEntries = JSON.stringify(chain.entries);
  const shownEntries = JSON.stringify(entries.map((item) => item.entry));
  // biome-ignore lint/correctness/useExhaustiveDependencies: compares serialized entries on purpose
  useEffect(() => {
    if (save.state !== 'saving' && serverEntries !== shownEntries) setEntries(keyed(chain.entries));
  }, [serverEntries]);

  const updateChain = useConfigMutation(
    (patch: Partial<ChainDefinition>) => ({
      path: `/api/chains/${encodeURIComponent(chain.name)}`,
      method: 'PUT',
      json: patch,
    }),
    invalidates,
  );
  const removeChain = useConfigMutation(
    () => ({ path: `/api/chains/${encodeURIComponent(chain.name)}`, method: 'DELETE' }),
    invalidates,
  );
  const makeDefault = useConfigMutation(
    () => ({ path: '/api/settings', method: 'PATCH', json: { defaultChain: chain.name } }),
    invalidates,
  );

  /** Saves a new list of entries at once: the engine uses it for the next request. */
  const changeEntries = (next: KeyedEntry[]) => {
    const previous = entries;
    setEntries(next);
    const ticket = ++latestSave.current;
    setSave({ state: 'saving' });
    updateChain.mutate(
      { entries: next.map((item) => item.entry) },
      {
        onSuccess: () => {
          if (ticket === latestSave.current) setSave({ state: 'saved', at: Date.now() });
        },
        onError: (error) => {
          if (ticket !== latestSave.current) return;
          setEntries(previous);
          setSave({ state: 'failed', error });
        },
      },
    );
  };

  // The chosen order shows at once (tiers appear or go), not when the server's config comes back.
  const [chosenStrategy, setChosenStrategy] = useState<Strategy | undefined>();
  const strategy: Strategy = chosenStrategy ?? chain.strategy ?? 'ordered';
  const changeStrategy = (next: Strategy) => {
    setChosenStrategy(next);
    setSave({ state: 'saving' });
    updateChain.mutate(
      { strategy: next },
      {
        onSuccess: () => setSave({ state: 'saved', at: Date.now() }),
        onError: (error) => setSave({ state: 'failed', error }),
        // Settled after the config is fetched again (or the save failed): the server's value shows.
        onSettled: () => setChosenStrategy(undefined),
      },
    );
  };

  const addEntry = (event: FormEvent) => {
    event.preventDefault();
    if (!newEntry.provider || !newEntry.model.trim()) {
      setSave({ state: 'failed', error: new Error('Choose a provider and a model to add.') });
      return;
    }
    changeEntries([...entries, ...keyed([{ provider: newEntry.provider, model: newEntry.model.trim() }])]);
    setNewEntry({ provider: '', model: '' });
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    const newName = name.trim();
    if (newName === chain.name) return;
    updateChain.mutate(
      { name: newName },
      { onSuccess: () => navigate(`/chains/${encodeURIComponent(newName)}`, { replace: true }) },
    );
  };

  const renameError =
    updateChain.error instanceof ApiError && updateChain.variables?.name !== undefined
      ? updateChain.error
      : undefined;
  const chainStatuses = status.data?.entries.filter((entry) => entry.chain === chain.name) ?? [];
  const persisted = info.data?.config.persisted;

  return (
    <section className="panel chain-editor" aria-labelledby="chain-editor-title">
      <div className="panel-head">
        <h2 id="chain-editor-title">
          {chain.name} {isDefault ? <span className="tag">default</span> : null}
        </h2>
        <div className="page-actions">
          {!isDefault ? (
            <button
              type="button"
              className="button button-small"
              onClick={() => makeDefault.mutate(undefined)}
              disabled={makeDefault.isPending}
            >
              Make default
            </button>
          ) : null}
          <ConfirmButton
            label="Delete chain"
            confirmLabel={`Delete ${chain.name}`}
            busy={removeChain.isPending}
            onConfirm={() =>
              removeChain.mutate(undefined, { onSuccess: () => navigate('/chains', { replace: true }) })
            }
          />
        </div>
      </div>
      <ErrorMessage error={removeChain.error ?? makeDefault.error} />

      <form className="rename" onSubmit={rename} noValidate>
        <FormField
          label="Name"
          error={renameError ? (renameError.fieldErrors().name ?? errorMessage(renameError)) : undefined}
        >
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        </FormField>
        <button
          type="submit"
          className="button"
          disabled={name.trim() === chain.name || updateChain.isPending}
        >
          Rename
        </button>
      </form>

      <div className="strategy">
        <FormField
          label="Order"
          hint={
            strategy === 'expiring-first'
              ? 'Within a tier, the capacity that expires soonest is spent first (a per-minute window before a daily pool), unknown limits are tried early, daily pools are paced; tiers go in order. For interchangeable free models.'
              : 'Entries are tried in this order: a preference order (the best model first, paid ones last).'
          }
        >
          <select
            value={strategy}
            disabled={updateChain.isPending}
            onChange={(event) => changeStrategy(event.target.value as Strategy)}
          >
            <option value="ordered">In order</option>
            <option value="expiring-first">Expiring first, by tier</option>
          </select>
        </FormField>
      </div>

      <div className="entries-head">
        <h3>Entries</h3>
        <SaveIndicator save={save} persisted={persisted} />
      </div>
      <SortableEntryList
        entries={entries}
        statuses={chainStatuses}
        onChange={changeEntries}
        tiers={strategy === 'expiring-first'}
      />

      <form className="add-entry" onSubmit={addEntry} noValidate aria-label="Add an entry">
        <EntryPicker providers={providers} value={newEntry} onChange={setNewEntry} />
        <button type="submit" className="button">
          Add entry
        </button>
      </form>
    </section>
  );
}

function SaveIndicator({ save, persisted }: { save: SaveState; persisted: boolean | undefined }) {
  const where =
    persisted === false
      ? 'applied live (in memory: no config file)'
      : 'written to the config file and applied live';
  return (
    <div className="save-indicator" role="status" aria-live="polite">
      {save.state === 'saving' ? <span className="muted">Saving…</span> : null}
      {save.state === 'saved' ? (
        <span className="saved">
          Saved at {formatClock(save.at)}: {where}.
        </span>
      ) : null}
      {save.state === 'failed' ? (
        <span className="error-text">Not saved: {errorMessage(save.error)}</span>
      ) : null}
    </div>
  );
}
