import type { ProviderView } from '@429chain/server/admin-api';
import { useId } from 'react';

/** A chain entry being chosen: a provider and one of its models (or any model name). */
export interface EntryChoice {
  provider: string;
  model: string;
}

/** Picks a provider, then a model from its list (free text is allowed for unlisted models). */
export function EntryPicker({
  providers,
  value,
  onChange,
  errors = {},
}: {
  providers: ProviderView[];
  value: EntryChoice;
  onChange: (value: EntryChoice) => void;
  errors?: { provider?: string | undefined; model?: string | undefined };
}) {
  const id = useId();
  const models = providers.find((provider) => provider.id === value.provider)?.models ?? [];
  return (
    <div className="entry-picker">
      <div className={`field${errors.provider ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-provider`}>Provider</label>
        <select
          id={`${id}-provider`}
          value={value.provider}
          aria-invalid={errors.provider ? true : undefined}
          onChange={(event) => {
            const provider = providers.find((candidate) => candidate.id === event.target.value);
            onChange({ provider: event.target.value, model: provider?.models[0] ?? '' });
          }}
        >
          <option value="">Choose…</option>
          {providers.map((provider) => (
            <option key={provider.id} value={provider.id}>
              {provider.id}
            </option>
          ))}
        </select>
        {errors.provider ? <p className="field-error">{errors.provider}</p> : null}
      </div>
      <div className={`field${errors.model ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-model`}>Model</label>
        <input
          id={`${id}-model`}
          list={`${id}-models`}
          value={value.model}
          aria-invalid={errors.model ? true : undefined}
          onChange={(event) => onChange({ ...value, model: event.target.value })}
          spellCheck={false}
          autoComplete="off"
          placeholder={models[0] ?? 'model name'}
        />
        <datalist id={`${id}-models`}>
          {models.map((model) => (
            <option key={model} value={model} />
          ))}
        </datalist>
        {errors.model ? <p className="field-error">{errors.model}</p> : null}
      </div>
    </div>
  );
}
