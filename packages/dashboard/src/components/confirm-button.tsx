import { useEffect, useState } from 'react';

/** A destructive button that asks once more inline (no browser dialog). */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
  busy,
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean | undefined;
  busy?: boolean | undefined;
}) {
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    if (!asking) return;
    const timer = setTimeout(() => setAsking(false), 6_000);
    return () => clearTimeout(timer);
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        className="button button-danger-quiet"
        disabled={disabled || busy}
        onClick={() => setAsking(true)}
      >
        {busy ? 'Working…' : label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        type="button"
        className="button button-danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="button button-quiet" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
