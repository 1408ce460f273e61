import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig, renderEnvExample, SETTINGS } from '@app/platform';
import { ENV_TABLE_START, renderEnvTable, replaceEnvTable } from '../../../tools/startup/env-docs';
import { ROOT } from './support';

/** `.env.example` and the README's table are generated from SETTINGS; stale copies fail here. */
describe('environment documentation', () => {
  const envExample = readFileSync(resolve(ROOT, '.env.example'), 'utf8');
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');

  it('.env.example is up to date (npm run env:example)', () => {
    expect(envExample).toBe(renderEnvExample());
  });

  it("the README's environment table is up to date (npm run env:example)", () => {
    expect(readme).toContain(ENV_TABLE_START);
    expect(replaceEnvTable(readme)).toBe(readme);
  });

  it('both list every setting', () => {
    const table = renderEnvTable();
    for (const s of SETTINGS) {
      expect(envExample).toMatch(new RegExp(`^(# )?${s.name}=`, 'm'));
      expect(table).toContain(`| \`${s.name}\` |`);
    }
  });

  it('copied to .env as it is, it configures exactly the defaults', () => {
    const env = parseEnv(envExample) as NodeJS.ProcessEnv;
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});
