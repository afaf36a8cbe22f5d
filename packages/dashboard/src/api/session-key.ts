/**
 * The admin key, kept in sessionStorage only (gone when the tab closes), and the
 * reason the last session ended (shown on the login page).
 */

const storageKey = '429chain.adminKey';
const listeners = new Set<() => void>();
let signedOutReason: string | null = null;

function read(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

let current = read();

function notify(): void {
  for (const listener of listeners) listener();
}

/** The admin key of this tab, or null when signed out. */
export function getAdminKey(): string | null {
  return current;
}

/** Signs in with a key the server accepted. */
export function setAdminKey(key: string): void {
  current = key;
  signedOutReason = null;
  try {
    sessionStorage.setItem(storageKey, key);
  } catch {
    // Private modes may refuse storage: the key then lives in memory for this page only.
  }
  notify();
}

/** Signs out; `reason` is shown on the login page (e.g. the key was rejected). */
export function clearAdminKey(reason: string | null = null): void {
  current = null;
  signedOutReason = reason;
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // Nothing stored.
  }
  notify();
}

/** Why the last session ended, when it was not a plain log out. */
export function getSignedOutReason(): string | null {
  return signedOutReason;
}

/** For `useSyncExternalStore`. */
export function subscribeAdminKey(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
