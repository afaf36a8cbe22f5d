import type { RequestRecord, TestAnswer } from '@429chain/server/admin-api';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { adminJson } from '../api/admin-client.ts';
import { useChains, useProviders } from '../api/admin-queries.ts';
import { errorMessage } from '../api/api-error.ts';
import { AttemptTrail } from '../components/attempt-trail.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { type EntryChoice, EntryPicker } from '../components/entry-picker.tsx';
import { FormField } from '../components/form-field.tsx';
import { OutcomeBadge } from '../components/outcome-badge.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { formatCount, formatLatency } from '../format/format.ts';
import { streamTest, type TestTarget } from '../playground/stream-test.ts';
import { Link } from '../router.tsx';

interface Run {
  state: 'running' | 'done' | 'failed' | 'stopped';
  text: string;
  startedAt: number;
  firstTokenAt?: number | undefined;
  endedAt?: number | undefined;
  record?: RequestRecord | undefined;
  error?: string | undefined;
}

/** Sends a prompt through a chain or one entry and shows the answer as it streams, then the trail. */
export function PlaygroundPage() {
  const chains = useChains();
  const providers = useProviders();
  const [mode, setMode] = useState<'chain' | 'entry'>('chain');
  const [chain, setChain] = useState('');
  const [entry, setEntry] = useState<EntryChoice>({ provider: '', model: '' });
  const [prompt, setPrompt] = useState(
    'Explain in two sentences why a gateway would fall back to another provider.',
  );
  const [stream, setStream] = useState(true);
  const [run, setRun] = useState<Run>();
  const [formError, setFormError] = useState<string>();
  const stop = useRef<AbortController | null>(null);

  useEffect(() => () => stop.current?.abort(), []);
  const chainNames = chains.data?.data.map((item) => item.name) ?? [];
  const selectedChain = chain || chains.data?.defaultChain || chainNames[0] || '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(undefined);
    const target: TestTarget | undefined =
      mode === 'chain'
        ? selectedChain
          ? { chain: selectedChain }
          : undefined
        : entry.provider && entry.model.trim()
          ? { provider: entry.provider, model: entry.model.trim() }
          : undefined;
    if (!target) {
      setFormError(mode === 'chain' ? 'Choose a chain.' : 'Choose a provider and a model.');
      return;
    }
    if (!prompt.trim()) {
      setFormError('Type a prompt.');
      return;
    }
    stop.current?.abort();
    const controller = new AbortController();
    stop.current = controller;
    const startedAt = performance.now();
    let current: Run = { state: 'running', text: '', startedAt };
    const update = (patch: Partial<Run>) => {
      current = { ...current, ...patch };
      setRun(current);
    };
    update({});
    try {
      if (stream) {
        await streamTest(
          { ...target, prompt },
          {
            onText: (text) =>
              update({ text: current.text + text, firstTokenAt: current.firstTokenAt ?? performance.now() }),
            onStreamError: (message) => update({ error: message }),
            onRecord: (record) => update({ record }),
            onFailure: (answer) => update({ record: answer.record, error: failureMessage(answer) }),
          },
          controller.signal,
        );
      } else {
        const answer = await adminJson<TestAnswer>('/api/test', {
          method: 'POST',
          json: { ...target, prompt, stream: false },
          signal: controller.signal,
        });
        update({
          text: answer.content ?? '',
          record: answer.record,
          error: answer.ok ? undefined : failureMessage(answer),
        });
      }
      update({ state: current.error ? 'failed' : 'done', endedAt: performance.now() });
    } catch (error) {
      const aborted = controller.signal.aborted;
      update({
        state: aborted ? 'stopped' : 'failed',
        endedAt: performance.now(),
        error: aborted ? undefined : errorMessage(error),
      });
    } finally {
      if (stop.current === controller) stop.current = null;
    }
  };

  const noTargets = chains.data && chainNames.length === 0 && providers.data && providers.data.length === 0;
  const record = run?.record;
  return (
    <>
      <PageHeading title="Playground">
        Send a prompt through a chain (or straight to one entry) and watch the answer stream in, then see
        which entries were tried.
      </PageHeading>
      {noTargets ? (
        <EmptyState title="Nothing to send to yet.">
          Add a provider on the <Link to="/providers">Providers</Link> page first.
        </EmptyState>
      ) : (
        <div className="playground">
          <form className="panel playground-form" onSubmit={submit} noValidate aria-label="Test request">
            <fieldset className="segmented" aria-label="Send to">
              <legend className="visually-hidden">Send to</legend>
              <button
                type="button"
                className="segmented-option"
                aria-pressed={mode === 'chain'}
                onClick={() => setMode('chain')}
              >
                A chain
              </button>
              <button
                type="button"
                className="segmented-option"
                aria-pressed={mode === 'entry'}
                onClick={() => setMode('entry')}
              >
                One entry
              </button>
            </fieldset>
            {mode === 'chain' ? (
              <FormField label="Chain">
                <select value={selectedChain} onChange={(event) => setChain(event.target.value)}>
                  {chainNames.map((name) => (
                    <option key={name} value={name}>
                      {name}
                      {name === chains.data?.defaultChain ? ' (default)' : ''}
                    </option>
                  ))}
                </select>
              </FormField>
            ) : (
              <EntryPicker providers={providers.data ?? []} value={entry} onChange={setEntry} />
            )}
            <FormField label="Prompt">
              <textarea rows={5} value={prompt} onChange={(event) => setPrompt(event.target.value)} />
            </FormField>
            <label className="checkbox">
              <input type="checkbox" checked={stream} onChange={(event) => setStream(event.target.checked)} />{' '}
              Stream the answer
            </label>
            {formError ? (
              <p className="field-error" role="alert">
                {formError}
              </p>
            ) : null}
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={run?.state === 'running'}>
                {run?.state === 'running' ? 'Sending…' : 'Send'}
              </button>
              {run?.state === 'running' ? (
                <button type="button" className="button" onClick={() => stop.current?.abort()}>
                  Stop
                </button>
              ) : null}
            </div>
          </form>

          <section
            className="panel playground-output"
            aria-labelledby="answer-heading"
            aria-busy={run?.state === 'running'}
          >
            <div className="panel-head">
              <h2 id="answer-heading">Answer</h2>
              {run ? <RunFacts run={run} /> : null}
            </div>
            {run ? (
              <>
                <div className={`answer answer-${run.state}`} data-state={run.state}>
                  {run.text}
                  {run.state === 'running' ? <span className="caret" aria-hidden="true" /> : null}
                  {!run.text && run.state !== 'running' ? (
                    <span className="muted">No text came back.</span>
                  ) : null}
                </div>
                {run.error ? (
                  <p className="notice notice-error" role="alert">
                    {run.error}
                  </p>
                ) : null}
                {run.state === 'stopped' ? <p className="muted">Stopped.</p> : null}
                {record ? (
                  <>
                    <h3>Trail</h3>
                    <p className="small">
                      <OutcomeBadge outcome={record.outcome} status={record.status} />{' '}
                      {record.provider ? (
                        <>
                          answered by <strong>{record.provider}</strong> / {record.model}
                        </>
                      ) : null}{' '}
                      <Link to={`/requests/${encodeURIComponent(record.id)}`}>In the request log</Link>
                    </p>
                    <AttemptTrail attempts={record.attempts} />
                  </>
                ) : run.state === 'running' ? (
                  <p className="muted small">The trail appears when the answer is complete.</p>
                ) : null}
              </>
            ) : (
              <p className="muted">The answer appears here as it streams.</p>
            )}
          </section>
        </div>
      )}
    </>
  );
}

function RunFacts({ run }: { run: Run }) {
  const record = run.record;
  const ttft =
    record?.ttftMs ?? (run.firstTokenAt !== undefined ? run.firstTokenAt - run.startedAt : undefined);
  const total = record?.latencyMs ?? (run.endedAt !== undefined ? run.endedAt - run.startedAt : undefined);
  return (
    <dl className="run-facts" aria-label="Timing">
      <div>
        <dt>Time to first token</dt>
        <dd data-metric="ttft">
          {ttft !== undefined ? formatLatency(ttft) : run.state === 'running' ? '…' : '–'}
        </dd>
      </div>
      <div>
        <dt>Total</dt>
        <dd data-metric="total">{total !== undefined ? formatLatency(total) : '…'}</dd>
      </div>
      {record?.usage ? (
        <div>
          <dt>Tokens</dt>
          <dd>{formatCount(record.usage.totalTokens)}</dd>
        </div>
      ) : null}
    </dl>
  );
}

function failureMessage(answer: TestAnswer): string {
  const body = answer.answer as { error?: { message?: unknown } } | undefined;
  const message = typeof body?.error?.message === 'string' ? body.error.message : undefined;
  return message ?? answer.record.error?.message ?? `The request failed with status ${answer.status}.`;
}
