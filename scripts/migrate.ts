import { configOrExit, migrateDatabase } from '@app/platform';

/** npm run db:migrate: creates DB_NAME if missing and applies every pending migration. */
async function main() {
  const config = configOrExit();
  const applied = await migrateDatabase(config.db);
  console.log(
    applied.length
      ? `Applied ${applied.length} migration(s) to ${config.db.flavor}://${config.db.host}:${config.db.port}/${config.db.name}: ${applied.join(', ')}`
      : `Schema of ${config.db.name} is up to date.`,
  );
}

main().catch((e) => {
  console.error(`Migration failed: ${(e as Error).message}`);
  process.exit(1);
});
