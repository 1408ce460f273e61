import { parseArgs } from 'node:util';
import { AppConfig, DbEngine, dropDatabase, loadConfig } from '@app/platform';
import { SCALES, Scale, isScale } from '../tools/seed/scales';
import { SeedSummary, formatSeedTable, seedDatabase } from '../tools/seed/seed';
import { uniqueSuffix } from '../test/support/test-env';

/**
 * npm run bench:seed -- --scale medium [--engine mysql|postgres] [--seed N]
 * Generates the dataset into a throw-away database per engine (cmiyc_bench_seed_*), prints rows/s per table and
 * the total time, and drops the database again.
 */
function benchConfig(engine: DbEngine): AppConfig {
  // Port, user and password default per engine; only the host is shared with the environment.
  const { DB_PORT: _port, DB_USER: _user, DB_PASSWORD: _password, ...env } = process.env;
  return loadConfig({
    ...env,
    DB_ENGINE: engine === 'postgres' ? 'postgres' : 'mariadb',
    DB_HOST: process.env.DB_HOST ?? '127.0.0.1',
    DB_NAME: `cmiyc_bench_seed_${engine}_${uniqueSuffix()}`,
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: 'medium' },
      engine: { type: 'string' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!isScale(values.scale))
    throw new Error(`Invalid --scale "${values.scale}": expected one of ${SCALES.join(', ')}`);
  const scale: Scale = values.scale;
  const engines: DbEngine[] = values.engine
    ? [values.engine === 'postgres' || values.engine === 'postgresql' ? 'postgres' : 'mysql']
    : ['mysql', 'postgres'];
  const results: Array<{ engine: string; summary: SeedSummary; peakRssMb: number }> = [];
  for (const engine of engines) {
    const config = benchConfig(engine);
    console.log(`\n== ${config.db.flavor}: seeding "${scale}" into ${config.db.name}`);
    let peakRss = 0;
    let lastTable = '';
    try {
      const summary = await seedDatabase(config.db, {
        scale,
        seed: Number(values.seed),
        onProgress: (p) => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          if (p.table !== lastTable)
            process.stdout.write(`   ${p.table} (${p.total.toLocaleString('en-US')} rows)\n`);
          lastTable = p.table;
        },
      });
      console.log(`\n${formatSeedTable(summary)}`);
      const { schemaSeconds, loadSeconds, rebuildSeconds } = summary.phases;
      console.log(
        `\n${config.db.flavor}: ${summary.totalRows.toLocaleString('en-US')} rows in ${summary.seconds.toFixed(1)} s total ` +
          `(schema ${schemaSeconds.toFixed(1)} s, streaming rows ${loadSeconds.toFixed(1)} s, ` +
          `keys/indexes/statistics ${rebuildSeconds.toFixed(1)} s), ` +
          `${Math.round(summary.totalRows / summary.seconds).toLocaleString('en-US')} rows/s, peak RSS ${Math.round(peakRss / 1e6)} MB`,
      );
      results.push({ engine: config.db.flavor, summary, peakRssMb: Math.round(peakRss / 1e6) });
    } finally {
      await dropDatabase(config.db);
    }
  }
  console.log(`\nSummary (${scale}):`);
  for (const r of results) {
    const bookings = r.summary.tables.find((t) => t.table === 'booking');
    console.log(
      `  ${r.engine.padEnd(8)} total ${r.summary.seconds.toFixed(1).padStart(6)} s | ` +
        `booking ${bookings ? Math.round(bookings.rows / bookings.seconds).toLocaleString('en-US') : '-'} rows/s | ` +
        `peak RSS ${r.peakRssMb} MB`,
    );
  }
}

main().catch((e) => {
  console.error(`bench:seed failed: ${(e as Error).message}`);
  process.exit(1);
});
