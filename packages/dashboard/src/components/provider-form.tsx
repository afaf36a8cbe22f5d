import type { ProviderPresetView, ProviderView, RateLimitsConfig } from '@429chain/server/admin-api';
import { type FormEvent, useMemo, useState } from 'react';
import { usePresets } from '../api/admin-queries.ts';
import { ApiError } from '../api/api-error.ts';
import { ErrorMessage } from './error-message.tsx';
import { FormField } from './form-field.tsx';

const limitFields = [
  { name: 'requestsPerMinute', label: 'Requests / minute' },
  { name: 'requestsPerDay', label: 'Requests / day' },
  { name: 'tokensPerMinute', label: 'Tokens / minute' },
  { name: 'tokensPerDay', label: 'Tokens / day' },
] as const;
type LimitName = (typeof limitFields)[number]['name'];

interface Draft {
  type: string;
  id: string;
  name: string;
  baseUrl: string;
  accountId: string;
  apiKey: string;
  models: string;
  limits: Record<LimitName, string>;
}

interface ProviderFormProps {
  /** The provider to edit; none to add one. */
  provider?: ProviderView | undefined;
  /** Sends the body; rejects with an ApiError whose issues name fields. */
  onSubmit: (body: Record<string, unknown>) => Promise<unknown>;
  onCancel: () => void;
  busy: boolean;
}

/**
 * Adds or edits a provider. A preset pre-fills the base URL, its suggested models and
 * its published free-tier limits. A key is never shown: "replace key" sends a new one,
 * and leaving it empty keeps the current key. Validation errors appear under their field.
 */
export function ProviderForm({ provider, onSubmit, onCancel, busy }: ProviderFormProps) {
  const presets = usePresets();
  const editing = provider !== undefined;
  const [draft, setDraft] = useState<Draft>(() => initialDraft(provider));
  const [error, setError] = useState<unknown>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const preset = useMemo(
    () => presets.data?.find((candidate) => candidate.id === draft.type),
    [presets.data, draft.type],
  );

  // A new provider starts from the first preset once presets arrive.
  if (!editing && draft.type === '' && presets.data?.[0]) {
    setDraft(applyPreset(draft, undefined, presets.data[0]));
  }

  const set = (field: keyof Omit<Draft, 'limits'>) => (value: string) =>
    setDraft({ ...draft, [field]: value });
  const setLimit = (field: LimitName, value: string) =>
    setDraft({ ...draft, limits: { ...draft.limits, [field]: value } });

  const choosePreset = (id: string) => {
    const next = presets.data?.find((candidate) => candidate.id === id);
    setDraft(next ? applyPreset(draft, preset, next, editing) : { ...draft, type: id });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setFieldErrors({});
    try {
      await onSubmit(buildBody(draft, preset, provider));
    } catch (caught) {
      const errors = caught instanceof ApiError ? fieldErrorsOf(caught) : { fields: {}, unplaced: [] };
      setFieldErrors(errors.fields);
      const placed = Object.keys(errors.fields).length;
      setError(
        errors.unplaced.length > 0 || placed === 0
          ? caught
          : new Error(placed === 1 ? 'Check the field marked below.' : 'Check the fields marked below.'),
      );
      if (Object.keys(errors.fields).length > 0) {
        // Take the keyboard to the first field in error.
        requestAnimationFrame(() =>
          document.querySelector<HTMLElement>('.provider-form [aria-invalid="true"]')?.focus(),
        );
      }
    }
  };

  const errorOf = (field: string) => fieldErrors[field];
  return (
    <form className="provider-form panel" onSubmit={submit} noValidate aria-labelledby="provider-form-title">
      <h2 id="provider-form-title">{editing ? `Edit ${provider.id}` : 'Add a provider'}</h2>
      <div className="form-grid">
        <FormField
          label="Preset"
          error={errorOf('type')}
          hint={preset ? presetHint(preset) : 'Any OpenAI-compatible endpoint works with "generic".'}
        >
          <select value={draft.type} onChange={(event) => choosePreset(event.target.value)}>
            {presets.data?.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
            {draft.type && !presets.data?.some((option) => option.id === draft.type) ? (
              <option value={draft.type}>{draft.type}</option>
            ) : null}
          </select>
        </FormField>
        <FormField label="Id" error={errorOf('id')} hint="Chains refer to it; no spaces or slashes.">
          <input
            value={draft.id}
            onChange={(event) => set('id')(event.target.value)}
            spellCheck={false}
            autoComplete="off"
            required
          />
        </FormField>
        <FormField label="Display name (optional)" error={errorOf('name')}>
          <input
            value={draft.name}
            onChange={(event) => set('name')(event.target.value)}
            autoComplete="off"
          />
        </FormField>
        <FormField
          label="Base URL"
          error={errorOf('baseUrl')}
          hint={preset?.baseUrl ? `Preset: ${preset.baseUrl}` : 'Required for this preset.'}
          className="span-2"
        >
          <input
            type="url"
            value={draft.baseUrl}
            onChange={(event) => set('baseUrl')(event.target.value)}
            spellCheck={false}
            autoComplete="off"
            placeholder="https://…/v1"
          />
        </FormField>
        {preset?.needsAccountId || draft.accountId ? (
          <FormField label="Account id" error={errorOf('accountId')}>
            <input
              value={draft.accountId}
              onChange={(event) => set('accountId')(event.target.value)}
              autoComplete="off"
            />
          </FormField>
        ) : null}
        {editing ? (
          <div className="field span-2">
            <span className="field-label">Current key{provider.keys.length > 1 ? 's' : ''}</span>
            <p className="keys">
              {provider.keys.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                provider.keys.map((key) => (
                  <code key={key.index} className="key-mask">
                    {key.masked || '…'}
                  </code>
                ))
              )}
            </p>
          </div>
        ) : null}
        <FormField
          label={editing ? 'Replace key' : preset?.keyRequired === false ? 'API key (optional)' : 'API key'}
          error={errorOf('apiKey')}
          hint={
            editing
              ? 'Leave empty to keep the current key. The key is never shown again.'
              : `Or a reference such as \${${preset?.envKeys[0] ?? 'MY_API_KEY'}} read from the environment.`
          }
          className="span-2"
        >
          <input
            type="password"
            value={draft.apiKey}
            onChange={(event) => set('apiKey')(event.target.value)}
            autoComplete="new-password"
            spellCheck={false}
            placeholder={editing ? 'unchanged' : ''}
          />
        </FormField>
        <FormField
          label="Models"
          error={errorOf('models')}
          hint="One per line; offered in chain pickers. The first one is used by Test."
          className="span-2"
        >
          <textarea
            rows={3}
            value={draft.models}
            onChange={(event) => set('models')(event.target.value)}
            spellCheck={false}
          />
        </FormField>
      </div>
      <fieldset className="limits">
        <legend>Manual limits (optional)</legend>
        <p className="field-hint">
          {preset?.knownLimits
            ? `Pre-filled with ${preset.name}'s published free-tier limits. Headers and 429s from the provider still win.`
            : 'Used when the provider sends no rate-limit headers. Leave empty to learn them from its answers.'}
        </p>
        <div className="form-grid form-grid-4">
          {limitFields.map((field) => (
            <FormField key={field.name} label={field.label} error={errorOf(`rateLimits.${field.name}`)}>
              <input
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                value={draft.limits[field.name]}
                onChange={(event) => setLimit(field.name, event.target.value)}
              />
            </FormField>
          ))}
        </div>
      </fieldset>
      <ErrorMessage error={error} title={editing ? 'Could not save.' : 'Could not add the provider.'} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : editing ? 'Save changes' : 'Add provider'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function presetHint(preset: ProviderPresetView): string {
  const limits = preset.knownLimits;
  const known = limits
    ? [
        limits.requestsPerMinute ? `${limits.requestsPerMinute} RPM` : null,
        limits.requestsPerDay ? `${limits.requestsPerDay} RPD` : null,
        limits.tokensPerMinute ? `${limits.tokensPerMinute} TPM` : null,
      ]
        .filter(Boolean)
        .join(', ')
    : '';
  return known ? `Free tier: ${known}.` : `Key from ${preset.envKeys[0] ?? 'the provider'}.`;
}

function emptyLimits(): Record<LimitName, string> {
  return { requestsPerMinute: '', requestsPerDay: '', tokensPerMinute: '', tokensPerDay: '' };
}

function limitsDraft(limits: RateLimitsConfig | null | undefined): Record<LimitName, string> {
  const draft = emptyLimits();
  for (const field of limitFields) {
    const value = limits?.[field.name];
    if (value !== undefined) draft[field.name] = String(value);
  }
  return draft;
}

function initialDraft(provider: ProviderView | undefined): Draft {
  if (!provider) {
    return {
      type: '',
      id: '',
      name: '',
      baseUrl: '',
      accountId: '',
      apiKey: '',
      models: '',
      limits: emptyLimits(),
    };
  }
  return {
    type: provider.type,
    id: provider.id,
    name: provider.name === provider.id || provider.name === provider.preset?.name ? '' : provider.name,
    baseUrl: provider.baseUrl ?? '',
    accountId: provider.accountId ?? '',
    apiKey: '',
    models: provider.models.join('\n'),
    limits: limitsDraft(provider.rateLimits),
  };
}

/** Switches preset, replacing only what still holds the previous preset's values. */
function applyPreset(
  draft: Draft,
  previous: ProviderPresetView | undefined,
  next: ProviderPresetView,
  editing = false,
): Draft {
  const untouched = (value: string, previousValue: string) => value.trim() === '' || value === previousValue;
  const previousLimits = limitsDraft(previous?.knownLimits);
  const limitsUntouched = limitFields.every((field) =>
    untouched(draft.limits[field.name], previousLimits[field.name]),
  );
  return {
    ...draft,
    type: next.id,
    id: editing || !untouched(draft.id, previous?.id ?? '') ? draft.id : next.id,
    baseUrl: untouched(draft.baseUrl, previous?.baseUrl ?? '') ? (next.baseUrl ?? '') : draft.baseUrl,
    models: untouched(draft.models, previous?.suggestedModels.join('\n') ?? '')
      ? next.suggestedModels.join('\n')
      : draft.models,
    limits: editing || !limitsUntouched ? draft.limits : limitsDraft(next.knownLimits),
  };
}

/** The JSON for POST (new) or PATCH (edit; `null` removes a field). */
function buildBody(
  draft: Draft,
  preset: ProviderPresetView | undefined,
  provider: ProviderView | undefined,
): Record<string, unknown> {
  const editing = provider !== undefined;
  const absent = editing ? null : undefined;
  const models = draft.models
    .split(/[\n,]/)
    .map((model) => model.trim())
    .filter(Boolean);
  const limits: Record<string, number | string> = {};
  for (const field of limitFields) {
    const text = draft.limits[field.name].trim();
    if (text === '') continue;
    const value = Number(text);
    // Sent as typed when it is no number, so the server's message names the field.
    limits[field.name] = Number.isFinite(value) ? value : text;
  }
  const baseUrl = draft.baseUrl.trim();
  const body: Record<string, unknown> = {
    id: draft.id.trim(),
    type: draft.type,
    name: draft.name.trim() || absent,
    baseUrl: baseUrl && baseUrl !== preset?.baseUrl ? baseUrl : absent,
    accountId: draft.accountId.trim() || absent,
    models: models.length > 0 ? models : absent,
    rateLimits: Object.keys(limits).length > 0 ? limits : absent,
  };
  if (draft.apiKey.trim()) body.apiKey = draft.apiKey.trim();
  if (editing && body.id === provider.id) delete body.id;
  return body;
}

const formFields = ['type', 'id', 'name', 'baseUrl', 'accountId', 'apiKey', 'models'];

/** Places each issue under its field (`models[2]` under Models, `apiKeys[0]` under the key). */
function fieldErrorsOf(error: ApiError): { fields: Record<string, string>; unplaced: string[] } {
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const [path, message] of Object.entries(error.fieldErrors())) {
    const field = path.replace(/\[\d+\]$/, '').replace(/^apiKeys$/, 'apiKey');
    if (formFields.includes(field) || /^rateLimits\.\w+$/.test(field)) fields[field] ??= message;
    else if (field === 'rateLimits') fields['rateLimits.requestsPerMinute'] ??= message;
    else unplaced.push(`${path}: ${message}`);
  }
  return { fields, unplaced };
}
