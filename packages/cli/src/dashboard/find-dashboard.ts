import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The built dashboard the CLI hands the server: the `dist` folder of the `@429chain/dashboard`
 * package it depends on (the server itself does not). Undefined when the package is not
 * installed; a folder that is not built yet is reported by the server at startup.
 */
export function findDashboard(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@429chain/dashboard/package.json')), 'dist');
  } catch {
    return undefined;
  }
}
