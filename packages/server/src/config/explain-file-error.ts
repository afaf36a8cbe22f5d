import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Error codes that mean "this process may not do that to this file". */
const permissionCodes = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Whether an error is a file-system refusal (permission denied, read-only file system). */
export function isPermissionError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && permissionCodes.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * Says what a permission error on a file means and what to do, naming the file, who owns it,
 * its mode, and the user this process runs as; in a container, that is the image's user
 * (uid 1000), which a file written by `429chain init` on the host (mode 0600) does not admit.
 * Returns undefined for other errors.
 */
export function explainFileError(error: unknown, action: 'read' | 'write'): string | undefined {
  if (!isPermissionError(error)) return undefined;
  const path = error.path ?? '(unknown file)';
  const code = error.code ?? 'EACCES';
  if (code === 'EROFS') {
    return `cannot ${action} ${path}: the file system is read-only (EROFS). Mount it writable, or make the config read-only on purpose and edit it by hand.`;
  }
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  const runsAs = uid === undefined ? 'this user' : `uid ${uid} (gid ${gid})`;
  const owner = describeOwner(path);
  const folder = dirname(path);
  const fix =
    action === 'read'
      ? `let ${runsAs} read it (chown ${uid ?? '<uid>'} ${path}, or chmod 0644 ${path})`
      : `let ${runsAs} write the file and its folder, where the new version is written first (chown -R ${uid ?? '<uid>'} ${folder})`;
  return `cannot ${action} ${path}: permission denied (${code}). This process runs as ${runsAs}; ${owner}. To fix it, ${fix}. The Docker image runs as uid 1000: see "File permissions" in docs/configuration.md.`;
}

function describeOwner(path: string): string {
  for (const candidate of [path, dirname(path)]) {
    try {
      const stats = statSync(candidate);
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      const what = candidate === path ? 'the file' : 'its folder';
      return `${what} belongs to uid ${stats.uid} (gid ${stats.gid}) with mode ${mode}`;
    } catch {}
  }
  return 'its folder cannot be read';
}
