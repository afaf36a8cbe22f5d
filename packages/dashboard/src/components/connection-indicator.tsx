import { formatDuration } from '@429chain/core';
import { useSyncExternalStore } from 'react';
import { useNow } from '../hooks/use-now.ts';
import { connectionStore } from '../live/connection-state.ts';

/** Whether live updates are flowing: live, connecting, or reconnecting after a drop. */
export function ConnectionIndicator() {
  const connection = useSyncExternalStore(connectionStore.subscribe, connectionStore.get);
  // Re-render every second so the retry countdown moves.
  useNow();
  let label: string;
  let title: string;
  switch (connection.state) {
    case 'live':
      label = 'Live';
      title = 'Live updates are flowing from the server.';
      break;
    case 'connecting':
      label = 'Connecting…';
      title = 'Opening the live event stream.';
      break;
    case 'reconnecting':
      label = `Reconnecting in ${formatDuration(connection.retryAt - Date.now(), { zero: 'now' })}`;
      title = `Lost the live stream (${connection.error}). Retrying with backoff; attempt ${connection.attempt}.`;
      break;
    default:
      label = 'Offline';
      title = 'Not connected.';
  }
  // Screen readers hear the state change once, not the retry countdown every second.
  const announced = {
    live: 'Live updates on',
    connecting: 'Connecting',
    reconnecting: 'Live updates lost, reconnecting',
    closed: 'Offline',
  }[connection.state];
  return (
    <span className={`connection connection-${connection.state}`} title={title}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label" aria-hidden="true">
        {label}
      </span>
      <span className="visually-hidden" role="status">
        {announced}
      </span>
    </span>
  );
}
