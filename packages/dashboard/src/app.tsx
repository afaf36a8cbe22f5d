import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef, useSyncExternalStore } from 'react';
import { getAdminKey, subscribeAdminKey } from './api/session-key.ts';
import { AppHeader } from './components/app-header.tsx';
import { DemoBanner } from './components/demo-banner.tsx';
import { useEventStream } from './live/use-event-stream.ts';
import { LoginPage } from './pages/login-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { PlaygroundPage } from './pages/playground-page.tsx';
import { ProvidersPage } from './pages/providers-page.tsx';
import { RateLimitsPage } from './pages/rate-limits-page.tsx';
import { RequestDetailPage } from './pages/request-detail-page.tsx';
import { RequestsPage } from './pages/requests-page.tsx';
import { matchPath, navigate, usePathname } from './router.tsx';

// The two pages with heavier libraries load on demand: charts (uPlot) and drag-and-drop (dnd-kit).
const OverviewPage = lazy(() => import('./pages/overview-page.tsx'));
const ChainsPage = lazy(() => import('./pages/chains-page.tsx'));

/** Signed out: the login page. Signed in: the dashboard with one live event stream. */
export function App() {
  const adminKey = useSyncExternalStore(subscribeAdminKey, getAdminKey);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!adminKey) queryClient.clear();
  }, [adminKey, queryClient]);
  useEventStream(adminKey);
  if (!adminKey) return <LoginPage />;
  return <SignedIn />;
}

function SignedIn() {
  const pathname = usePathname();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  useEffect(() => {
    if (pathname === '/login') navigate('/', { replace: true });
  }, [pathname]);
  // After a navigation, move focus to the new page's heading (for keyboard and screen-reader users).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each page change
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h1');
    heading?.focus({ preventScroll: true });
  }, [pathname]);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader onLogOut={() => navigate('/', { replace: true })} />
      <DemoBanner />
      <main id="main" ref={main} className="page">
        <Suspense fallback={<p className="muted loading">Loading…</p>}>
          <Route pathname={pathname} />
        </Suspense>
      </main>
    </div>
  );
}

function Route({ pathname }: { pathname: string }) {
  if (pathname === '/' || pathname === '/login') return <OverviewPage />;
  if (pathname === '/ratelimits') return <RateLimitsPage />;
  if (pathname === '/providers') return <ProvidersPage />;
  if (pathname === '/chains') return <ChainsPage />;
  const chain = matchPath('/chains/:name', pathname);
  if (chain) return <ChainsPage selected={chain.name} />;
  if (pathname === '/requests') return <RequestsPage />;
  const request = matchPath('/requests/:id', pathname);
  if (request?.id) return <RequestDetailPage id={request.id} />;
  if (pathname === '/playground') return <PlaygroundPage />;
  return <NotFoundPage />;
}
