/**
 * `npm run bench:ask`: what the two NL->SQL caches save. A stand-in Ollama with a realistic latency
 * (BENCH_MODEL_DELAY_MS, default 1500 ms per generate call: a 7B model on a GPU; on a CPU it is several seconds;
 * BENCH_EMBED_DELAY_MS, default 30 ms per embedding), a query-service and a gateway from dist/, and the workshop's
 * example questions through POST /api/ask:
 *  1. model calls (refresh=true: no cache at all), per question;
 *  2. the same questions again: semantic-cache hits (same question) with rows from the query cache;
 *  3. paraphrases: semantic-cache hits found by embedding similarity;
 * medians of the latency measured inside the query-service (meta.latencyMs) and of the HTTP round trip.
 * Uses its own database (BENCH_DB_NAME, default cmiyc_bench_ask, seeded at `tiny` scale when empty), read-only
 * user and key prefix, and removes the keys and the user afterwards.
 */
import { performance } from 'node:perf_hooks';
import { AppConfig, createDataSource, loadConfig } from '@app/platform';
import type { AskAnswer } from '@app/contracts';
import { startOllamaStandIn } from '../apps/query-service/src/ask/stand-in/ollama-stand-in';
import { configEnv } from './env';
import {
  benchDatabaseName,
  BenchProcesses,
  deleteBenchKeys,
  median,
  pad,
  prepareBenchDatabase,
  servicesConfig,
} from './support';

const MODEL_DELAY_MS = Number(process.env.BENCH_MODEL_DELAY_MS ?? 1500);
const EMBED_DELAY_MS = Number(process.env.BENCH_EMBED_DELAY_MS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

export const QUESTIONS = [
  'airport details for JFK',
  'flights from JFK to LAX',
  '10 passengers from the United States',
  'booking count for passenger 100',
  'manifest for flight 115',
];
const PARAPHRASES = [
  'show me the airport details for JFK',
  'list all flights from JFK to LAX',
  'give me 10 passengers from the United States',
  'what is the booking count for passenger 100',
  'show the manifest for flight 115',
];

async function main() {
  const base = loadConfig();
  const dbName = benchDatabaseName('cmiyc_bench_ask');
  const ollama = await startOllamaStandIn({
    port: 0,
    generateDelayMs: MODEL_DELAY_MS,
    embedDelayMs: EMBED_DELAY_MS,
  });
  const config = await servicesConfig(base, dbName, 'cmiyc-bench-ask:');
  await prepareBenchDatabase(config.db, 'tiny');
  const readOnlyUser = 'cmiyc_bench_ask_ro';
  const env = {
    ...process.env,
    ...configEnv(config),
    OLLAMA_URL: `${ollama.url}/api/generate`,
    ASK_DB_USER: readOnlyUser,
    ASK_SEMANTIC_INDEX: 'scan',
  };
  const processes = new BenchProcesses();
  try {
    const gw = await processes.startQueryServiceAndGateway(config, env);
    console.log(
      `\nDatabase: ${config.db.flavor} ${dbName}; stand-in model: ${MODEL_DELAY_MS} ms per answer, ${EMBED_DELAY_MS} ms per embedding; ${ROUNDS} rounds of ${QUESTIONS.length} questions\n`,
    );
    const model: Sample[] = [];
    const same: Sample[] = [];
    const similar: Sample[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const q of QUESTIONS) model.push(await ask(gw, q, true, 'model'));
      for (const q of QUESTIONS) same.push(await ask(gw, q, false, 'query-cache'));
      for (const q of PARAPHRASES) similar.push(await ask(gw, q, false, 'query-cache'));
    }
    const rows: Array<[string, Sample[]]> = [
      ['model call (no cache)', model],
      ['semantic hit, same question', same],
      ['semantic hit, similar question', similar],
    ];
    console.log(
      pad('path', 34) +
        pad('in service p50', 17) +
        pad('round trip p50', 17) +
        pad('model p50', 12) +
        'speedup',
    );
    const base50 = median(model.map((s) => s.service));
    for (const [name, samples] of rows) {
      const service = median(samples.map((s) => s.service));
      const trip = median(samples.map((s) => s.trip));
      const m = samples.some((s) => s.modelMs !== undefined)
        ? median(samples.map((s) => s.modelMs ?? 0))
        : NaN;
      console.log(
        pad(name, 34) +
          pad(`${service.toFixed(2)} ms`, 17) +
          pad(`${trip.toFixed(2)} ms`, 17) +
          pad(Number.isNaN(m) ? '-' : `${m.toFixed(1)} ms`, 12) +
          (samples === model ? '1x' : `${(base50 / service).toFixed(0)}x`),
      );
    }
    const sim = similar.map((s) => s.similarity ?? 0);
    console.log(
      `\nsimilarities of the paraphrases: ${Math.min(...sim).toFixed(3)}-${Math.max(...sim).toFixed(3)} (threshold ${config.ask.similarityThreshold}); stand-in calls: ${JSON.stringify({ generate: ollama.stats().generate, embed: ollama.stats().embed })}`,
    );
  } finally {
    processes.stopAll();
    await ollama.close();
    await deleteBenchKeys(config.cache);
    await dropUser(config, readOnlyUser).catch((e: Error) =>
      console.warn(`could not drop ${readOnlyUser}: ${e.message}`),
    );
  }
}

interface Sample {
  service: number;
  trip: number;
  modelMs?: number;
  similarity?: number;
}

async function ask(gw: string, question: string, refresh: boolean, expected: string): Promise<Sample> {
  const started = performance.now();
  const res = await fetch(`${gw}/api/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question, ...(refresh ? { refresh: true } : {}) }),
  });
  const body = (await res.json()) as AskAnswer & { message?: string };
  const trip = performance.now() - started;
  if (res.status !== 200) throw new Error(`${res.status} for "${question}": ${body.message}`);
  if (body.meta.source !== expected)
    throw new Error(
      `"${question}" came from ${body.meta.source}, expected ${expected} (${body.meta.semanticMiss ?? ''})`,
    );
  return { service: body.meta.latencyMs, trip, modelMs: body.meta.modelMs, similarity: body.meta.similarity };
}

async function dropUser(config: AppConfig, user: string): Promise<void> {
  const pg = config.db.engine === 'postgres';
  const admin = createDataSource({ ...config.db, name: pg ? 'postgres' : '', poolSize: 1 }, {
    migrations: [],
  } as never);
  await admin.initialize();
  try {
    if (pg) {
      // Its grants live in the bench database: revoke them there first.
      const own = createDataSource({ ...config.db, poolSize: 1 }, { migrations: [] } as never);
      await own.initialize();
      await own.query(`DROP OWNED BY "${user}"`).finally(() => own.destroy());
      await admin.query(`DROP ROLE IF EXISTS "${user}"`);
    } else await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
  } finally {
    await admin.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`\n✘ ${e.message}`);
    process.exit(1);
  },
);
