import { useEffect } from 'react';

/** Sets the tab title: `Page · 429chain`. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · 429chain`;
  }, [title]);
}
