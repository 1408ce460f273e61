import 'reflect-metadata';
import { configOrExit } from '@app/platform';
import { checkDatabase, describeDatabase } from '../tools/startup/preflight';
import { describeProgress, prepareDatabase } from '../tools/startup/prepare';

/**
 * npm run db:prepare (and the compose `seed` job): check the database answers, migrate, and
 * generate the SEED_SCALE dataset when the database is empty. Exits 0 when there was data already.
 */
async function main() {
  const config = configOrExit();
  const unreachable = await checkDatabase(config.db);
  if (unreachable) {
    console.error(unreachable.message);
    process.exit(1);
  }
  console.log(`Preparing ${describeDatabase(config.db)}`);
  let lastTable = '';
  await prepareDatabase(
    config,
    (line) => console.log(line),
    (p) => {
      // Container logs are not a terminal: one line as each table starts.
      if (p.table !== lastTable) console.log(`  ${describeProgress(p)}`);
      lastTable = p.table;
    },
  );
}

main().catch((e) => {
  console.error(`Preparing the database failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
