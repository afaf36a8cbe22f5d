import type { EntryState } from '@429chain/server/admin-api';

const labels: Record<EntryState, string> = {
  available: 'available',
  tracking: 'tracking',
  exhausted: 'exhausted',
  probing: 'probing',
  parked: 'parked',
  broken: 'broken',
};

const meanings: Record<EntryState, string> = {
  available: 'Nothing known limits it.',
  tracking: 'Its limits are known and have room.',
  exhausted: 'Rate-limited until its reset, or resting briefly after a timeout or a broken stream.',
  probing: 'A block has ended: one request tests whether it has cleared, the others wait for its answer.',
  parked: 'Out of credit or an invalid key.',
  broken: 'Model not found, or its circuit is open.',
};

/** An entry's state as a coloured pill with a shape, so it does not rely on colour alone. */
export function StateBadge({ state, reason }: { state: EntryState; reason?: string | undefined }) {
  return (
    <span
      className={`badge state-${state}`}
      title={reason ? `${meanings[state]} ${reason}` : meanings[state]}
    >
      <span className="badge-dot" aria-hidden="true" />
      {labels[state]}
    </span>
  );
}

/** The worst of several states (an entry with several keys shows its worst key). */
export function worstState(states: EntryState[]): EntryState | undefined {
  const order: EntryState[] = ['parked', 'broken', 'exhausted', 'probing', 'tracking', 'available'];
  return order.find((state) => states.includes(state));
}
