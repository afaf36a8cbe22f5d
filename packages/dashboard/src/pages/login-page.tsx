import type { ServerInfo } from '@429chain/server/admin-api';
import { type FormEvent, useState } from 'react';
import { adminJson } from '../api/admin-client.ts';
import { ApiError, errorMessage } from '../api/api-error.ts';
import { getSignedOutReason, setAdminKey } from '../api/session-key.ts';
import { FormField } from '../components/form-field.tsx';
import { usePageTitle } from '../hooks/use-page-title.ts';
import { useTheme } from '../hooks/use-theme.ts';

/** Asks for the admin key, checks it with `GET /api/info`, and keeps it for this tab only. */
export function LoginPage() {
  usePageTitle('Sign in');
  const { theme, toggle } = useTheme();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(getSignedOutReason() ?? undefined);
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Enter the admin key.');
      return;
    }
    setChecking(true);
    setError(undefined);
    try {
      await adminJson<ServerInfo>('/api/info', { key: trimmed });
      setAdminKey(trimmed);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 403
          ? 'That is a client key (for /v1). The dashboard needs an admin key.'
          : caught instanceof ApiError && caught.status === 401
            ? 'The server did not accept this admin key. Check that you copied all of it.'
            : errorMessage(caught),
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="login">
      <button
        type="button"
        className="button button-quiet icon-button login-theme"
        onClick={toggle}
        aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
      >
        <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
      </button>
      <main className="login-card">
        <p className="brand login-brand">
          <span className="brand-mark" aria-hidden="true">
            429
          </span>
          <span className="brand-name">chain</span>
        </p>
        <h1>Sign in to the dashboard</h1>
        <p className="lead">One OpenAI-compatible endpoint over many free-tier LLM quotas.</p>
        <form onSubmit={submit} noValidate>
          <FormField label="Admin key" error={error}>
            <input
              type="password"
              name="admin-key"
              autoComplete="current-password"
              spellCheck={false}
              value={key}
              onChange={(event) => setKey(event.target.value)}
              // biome-ignore lint/a11y/noAutofocus: the only field of the page
              autoFocus
            />
          </FormField>
          <button type="submit" className="button button-primary button-wide" disabled={checking}>
            {checking ? 'Checking…' : 'Sign in'}
          </button>
        </form>
        <details className="login-help" open>
          <summary>Where is the admin key?</summary>
          <ul>
            <li>
              On first start the server writes one to <code>data/admin.key</code>, next to its database (
              <code>data/429chain.db</code> unless <code>settings.dbPath</code> says otherwise). Copy it with{' '}
              <code>cat data/admin.key</code>.
            </li>
            <li>
              If the config sets <code>settings.adminKeys</code> (or the environment sets{' '}
              <code>CHAIN429_ADMIN_KEYS</code>), use one of those instead.
            </li>
            <li>Client keys for /v1 are not admin keys.</li>
          </ul>
          <p className="muted small">
            The key stays in this tab's session storage only: closing the tab signs you out.
          </p>
        </details>
      </main>
    </div>
  );
}
