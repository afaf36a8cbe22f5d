import { useInfo } from '../api/admin-queries.ts';

/** Says clearly when the server runs simulated providers, and how to leave demo mode. */
export function DemoBanner() {
  const info = useInfo();
  if (info.data?.mode !== 'demo') return null;
  return (
    <aside className="demo-banner" aria-label="Demo mode">
      <strong>Demo mode.</strong> These providers are simulated and light traffic runs in the background, so
      quotas run out and recover on their own. Start the server with a config file (or a provider key such as{' '}
      <code>GROQ_API_KEY</code>) to route real requests; nothing you change here is saved.
    </aside>
  );
}
