import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEnvExample } from '@app/platform';
import { renderEnvTable, replaceEnvTable } from '../tools/startup/env-docs';

/**
 * npm run env:example: writes `.env.example` and the README's environment table from SETTINGS.
 *   --check  only compares, and exits 1 naming the stale file (CI).
 *   --table  prints the markdown table to stdout.
 */
function main() {
  const args = process.argv.slice(2);
  if (args.includes('--table')) {
    process.stdout.write(renderEnvTable() + '\n');
    return;
  }
  const root = resolve(__dirname, '..', '..');
  const targets = [
    { path: resolve(root, '.env.example'), render: () => renderEnvExample() },
    { path: resolve(root, 'README.md'), render: (current: string) => replaceEnvTable(current) },
  ];
  const stale: string[] = [];
  for (const { path, render } of targets) {
    const current = readFileSafe(path);
    const wanted = render(current);
    if (current === wanted) continue;
    if (args.includes('--check')) stale.push(path);
    else {
      writeFileSync(path, wanted);
      console.log(`wrote ${path}`);
    }
  }
  if (stale.length) {
    console.error(`Out of date (run \`npm run env:example\`): ${stale.join(', ')}`);
    process.exit(1);
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

main();
