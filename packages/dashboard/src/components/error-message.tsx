import { errorMessage } from '../api/api-error.ts';

/** A readable error, announced to screen readers. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string | undefined }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      {title ? <strong>{title} </strong> : null}
      <span className="pre-line">{errorMessage(error)}</span>
    </div>
  );
}
