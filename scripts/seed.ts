import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { configOrExit } from '@app/platform';
import {
  DatabaseNotEmptyError,
  NotGeneratedDatabaseError,
  SeedSummary,
  formatSeedTable,
  seedDatabase,
} from '../tools/seed/seed';
import { SCALES, Scale, isScale } from '../tools/seed/scales';

const USAGE = `Usage: npm run db:seed -- --scale tiny|small|medium|large [--seed N] [--reset] [--force]

  --scale   dataset size (default: SEED_SCALE, i.e. small)
  --seed    PRNG seed; the same seed gives the same rows on every engine (default 1)
  --reset   drop and recreate the database first (only one this generator created, unless --force)
  --force   with --reset: also drop a database that holds other data (e.g. an imported dump)
Database settings come from the environment (DB_ENGINE, DB_HOST, DB_NAME, ...).`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function parseCli(defaultScale: Scale) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        scale: { type: 'string' },
        seed: { type: 'string' },
        reset: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const scale = values.scale ?? defaultScale;
  if (!isScale(scale)) fail(`Invalid --scale "${scale}": expected one of ${SCALES.join(', ')}`);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    fail(`Invalid --seed "${values.seed}": expected a whole number from 0 to 4294967295`);
  }
  return { scale, seed, reset: values.reset, force: values.force };
}

function printSummary(summary: SeedSummary): void {
  console.log(formatSeedTable(summary));
  console.log(
    `\n${summary.totalRows.toLocaleString('en-US')} rows in ${summary.seconds.toFixed(1)} s ` +
      `(${Math.round(summary.totalRows / summary.seconds).toLocaleString('en-US')} rows/s overall, ` +
      `including schema, indexes and statistics).`,
  );
}

/** npm run db:seed: creates the database and schema if needed and fills it with generated FlughafenDB data. */
async function main() {
  const config = configOrExit();
  const { scale, seed, reset, force } = parseCli(config.seedScale);
  const { db } = config;
  console.log(
    `Seeding "${scale}" (seed ${seed}) into ${db.flavor}://${db.host}:${db.port}/${db.name}${reset ? ' after a reset' : ''}`,
  );
  const bar = new SingleBar(
    {
      format: ' {bar} {percentage}% | {table} | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let barStarted = false;
  try {
    const summary = await seedDatabase(db, {
      scale,
      seed,
      reset,
      force,
      onProgress: (p) => {
        const speed = Math.round(p.allDone / Math.max(0.001, (Date.now() - started) / 1000)).toLocaleString(
          'en-US',
        );
        if (!barStarted) {
          bar.start(p.allTotal, p.allDone, { table: p.table, speed });
          barStarted = true;
        } else {
          bar.update(p.allDone, { table: p.table, speed });
        }
      },
    });
    bar.stop();
    console.log('');
    printSummary(summary);
  } catch (e) {
    if (barStarted) bar.stop();
    if (e instanceof DatabaseNotEmptyError || e instanceof NotGeneratedDatabaseError) fail(e.message);
    fail(`Seeding failed: ${(e as Error).message}`);
  }
}

void main();
