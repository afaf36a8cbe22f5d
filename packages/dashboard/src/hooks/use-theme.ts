import { useCallback, useSyncExternalStore } from 'react';

/** `light` or `dark`: the one chosen with the toggle, else the system's. */
export type Theme = 'light' | 'dark';

const storageKey = '429chain.theme';
const listeners = new Set<() => void>();
const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)');

function chosen(): Theme | null {
  try {
    const value = localStorage.getItem(storageKey);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

function current(): Theme {
  return chosen() ?? (systemDark().matches ? 'dark' : 'light');
}

/** Puts the chosen theme on `<html data-theme>` (none: the CSS follows the system). */
export function applyStoredTheme(): void {
  const theme = chosen();
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const media = systemDark();
  media.addEventListener('change', listener);
  return () => {
    listeners.delete(listener);
    media.removeEventListener('change', listener);
  };
}

/** The theme in force and a toggle between light and dark. */
export function useTheme(): { theme: Theme; toggle: () => void } {
  const theme = useSyncExternalStore(subscribe, current);
  const toggle = useCallback(() => {
    const next: Theme = current() === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // Not kept across visits then.
    }
    applyStoredTheme();
    document.documentElement.dataset.theme = next;
    for (const listener of listeners) listener();
  }, []);
  return { theme, toggle };
}
