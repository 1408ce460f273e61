import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The page's files live in apps/gateway/public in the repository; the same folder is found from the sources
 * (ts-node, jest) and from the build (dist/apps/gateway/src/dashboard), so the build needs no copy step.
 */
export function publicDir(): string {
  const candidates = [
    resolve(__dirname, '../../public'),
    resolve(__dirname, '../../../../../apps/gateway/public'),
    resolve(process.cwd(), 'apps/gateway/public'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`Dashboard files not found; looked in ${candidates.join(', ')}`);
  return found;
}

/** chart.js's UMD build, served from node_modules (its package exports hide the path, so resolve the main file). */
export function chartJsPath(): string {
  return join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}
