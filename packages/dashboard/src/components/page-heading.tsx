import type { ReactNode } from 'react';
import { usePageTitle } from '../hooks/use-page-title.ts';

/** A page's title (focusable, so navigation can move focus to it), its lead and actions. */
export function PageHeading({
  title,
  children,
  actions,
}: {
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
}) {
  usePageTitle(title);
  return (
    <div className="page-heading">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {children ? <p className="lead">{children}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}
