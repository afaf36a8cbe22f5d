import { useEffect, useState } from 'react';
import { clearAdminKey } from '../api/session-key.ts';
import { useTheme } from '../hooks/use-theme.ts';
import { Link, usePathname } from '../router.tsx';
import { ConnectionIndicator } from './connection-indicator.tsx';

/** The pages, in the order of the navigation. */
export const pages = [
  { path: '/', label: 'Overview' },
  { path: '/ratelimits', label: 'Rate limits' },
  { path: '/providers', label: 'Providers' },
  { path: '/chains', label: 'Chains' },
  { path: '/requests', label: 'Requests' },
  { path: '/playground', label: 'Playground' },
] as const;

/** Brand, navigation (a menu button on narrow screens), live indicator, theme and log out. */
export function AppHeader({ onLogOut }: { onLogOut: () => void }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const pathname = usePathname();
  const { theme, toggle } = useTheme();
  // biome-ignore lint/correctness/useExhaustiveDependencies: close the menu whenever the page changes
  useEffect(() => setMenuOpen(false), [pathname]);
  return (
    <header className="app-header">
      <div className="header-row">
        <Link to="/" className="brand" aria-label="429chain overview">
          <span className="brand-mark" aria-hidden="true">
            429
          </span>
          <span className="brand-name">chain</span>
        </Link>
        <button
          type="button"
          className="button button-quiet menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-navigation"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <nav id="main-navigation" className={`main-nav${menuOpen ? ' main-nav-open' : ''}`} aria-label="Main">
          <ul>
            {pages.map((page) => (
              <li key={page.path}>
                <Link to={page.path} navigation>
                  {page.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="header-tools">
          <ConnectionIndicator />
          <button
            type="button"
            className="button button-quiet icon-button"
            onClick={toggle}
            aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
            title={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
          >
            <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
          </button>
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              clearAdminKey();
              onLogOut();
            }}
          >
            Log out
          </button>
        </div>
      </div>
    </header>
  );
}
