import { createStore } from './create-store.ts';

/** The live event stream's connection, as the indicator shows it. */
export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'live'; since: number }
  | { state: 'reconnecting'; retryAt: number; attempt: number; error: string }
  | { state: 'closed' };

export const connectionStore = createStore<ConnectionState>({ state: 'closed' });
