import { createInterface } from 'node:readline/promises';
import type { AskAnswer, AskStatus } from '@app/contracts';
import { parseDemoArgs, runMain } from './demo/args';
import { GatewayClient, GatewayError } from './demo/http';
import { banner, c, fail, info, ok, printTable, step, warn } from './demo/output';
import {
  OllamaStandInHandle,
  bagOfWords,
  startOllamaStandIn,
} from '../apps/query-service/src/ask/stand-in/ollama-stand-in';

const USAGE = `
npm run demo:ask -- [-i] [-v] [--no-stand-in] [--model-delay 1500]

Ask the airport database in plain English through the gateway (POST /api/ask), as the original workshop's
NLP-to-SQL demo did, with its guard and caches made safe:
  demo mode (default): the workshop's example questions through the model (refresh: no cache), the same
    questions again (semantic cache + query cache), paraphrases (semantic cache by similarity), a question with
    other values (never reuses SQL), hostile SQL refused by the guard, then model vs cache latency;
  -i, --interactive: a prompt; ":sql SELECT ..." runs SQL through the guard (POST /api/ask/sql), ":quit" ends.

  -v, --verbose     show the SQL of every answer
  --no-stand-in     never start the stand-in model (by default, when no Ollama answers at the service's
                    OLLAMA_URL on this machine, the demo starts the stand-in there: scripted SQL for the
                    example questions, with --model-delay ms per answer)
`;

const EXAMPLES = [
  'airport details for JFK',
  'flights from JFK to LAX',
  '10 passengers from the United States',
  'booking count for passenger 1000',
  'manifest for flight 115',
];
const PARAPHRASES = ['show me the airport details for JFK', 'list all flights from JFK to LAX'];
const HOSTILE = [
  'SELECT 1; DROP TABLE booking',
  "SELECT * FROM booking INTO OUTFILE '/tmp/pwned.csv'",
  'SELECT SLEEP(10)',
  'SELECT username, password FROM employee',
  'SELECT * FROM information_schema.tables',
  'DELETE FROM booking',
];

interface Timed {
  answer: AskAnswer;
  roundTripMs: number;
}

async function main(argv: string[]) {
  const cli = parseDemoArgs(
    argv,
    {
      interactive: { type: 'boolean', short: 'i', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      'no-stand-in': { type: 'boolean', default: false },
      'model-delay': { type: 'string', default: '1500' },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const verbose = !!values.verbose;
  const status = (await client.read<AskStatus>('/api/ask/status')).data;
  const standIn = values['no-stand-in']
    ? undefined
    : await standInIfNeeded(status, Number(values['model-delay']));
  try {
    banner(
      'Ask the database in plain English',
      `model ${status.model.name} at ${status.model.url}${standIn ? ' (stand-in)' : ''}; semantic cache: ${status.semanticIndex}`,
    );
    if (values.interactive) return await interactive(client);
    await demo(client, verbose, standIn);
  } finally {
    await standIn?.close();
  }
}

/** The stand-in model on the service's OLLAMA_URL, when that is this machine and nothing answers there. */
async function standInIfNeeded(status: AskStatus, delayMs: number): Promise<OllamaStandInHandle | undefined> {
  const url = new URL(status.model.url);
  const reachable = await fetch(`${status.model.url}/api/version`, {
    signal: AbortSignal.timeout(2000),
  }).then(
    () => true,
    () => false,
  );
  if (reachable) return undefined;
  if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    warn(`no model answers at ${status.model.url}; start Ollama there (or --no-stand-in to see the 503)`);
    return undefined;
  }
  const handle = await startOllamaStandIn({
    host: '127.0.0.1',
    port: Number(url.port || 80),
    generateDelayMs: delayMs,
    embedDelayMs: 30,
  });
  warn(
    `no Ollama at ${status.model.url}: started the stand-in model there (scripted SQL, ${delayMs} ms per answer) for this demo`,
  );
  return handle;
}

async function ask(client: GatewayClient, question: string, refresh = false): Promise<Timed> {
  const r = await client.request<AskAnswer>('POST', '/api/ask', {
    question,
    ...(refresh ? { refresh } : {}),
  });
  return { answer: r.body, roundTripMs: r.roundTripMs };
}

function show(t: Timed, verbose: boolean, question: string): void {
  const { meta, data } = t.answer;
  const label =
    meta.source === 'model'
      ? c.magenta('MODEL         ')
      : meta.source === 'semantic-cache'
        ? c.cyan('SEMANTIC CACHE')
        : c.green('QUERY CACHE   ');
  const sim = meta.similarity !== undefined ? ` similarity ${meta.similarity.toFixed(3)}` : '';
  info(
    `${label} ${question.padEnd(42)} ${meta.latencyMs.toFixed(2).padStart(9)} ms${meta.modelMs ? c.dim(` (model ${meta.modelMs.toFixed(0)} ms)`) : ''}${c.dim(sim)}  ${data.rows.length} row(s)`,
  );
  if (meta.similarTo && meta.similarTo !== question)
    info(c.dim(`               reused the SQL of "${meta.similarTo}"`));
  if (meta.semanticMiss && verbose) info(c.dim(`               semantic cache: ${meta.semanticMiss}`));
  if (verbose) for (const line of data.sql.split('\n')) info(c.dim(`               ${line}`));
}

async function demo(client: GatewayClient, verbose: boolean, standIn?: OllamaStandInHandle) {
  const byPath: Record<string, number[]> = { model: [], same: [], similar: [] };

  step(1, 'The example questions, through the model (refresh: no cache)');
  for (const q of EXAMPLES) {
    try {
      const t = await ask(client, q, true);
      byPath.model.push(t.answer.meta.latencyMs);
      show(t, verbose, q);
    } catch (e) {
      fail(`${q}: ${(e as Error).message}`);
      if (e instanceof GatewayError && e.status === 503) return;
    }
  }
  const first = await ask(client, 'manifest for flight 115').catch(() => null);
  if (first) {
    info('');
    printTable(
      first.answer.data.columns,
      first.answer.data.rows
        .slice(0, 5)
        .map((r) => first.answer.data.columns.map((col) => String(r[col] ?? ''))),
      '    ',
    );
  }

  step(2, 'The same questions again: the semantic cache has their SQL, the query cache their rows');
  for (const q of EXAMPLES) {
    const t = await ask(client, q).catch(() => null);
    if (!t) continue;
    byPath.same.push(t.answer.meta.latencyMs);
    show(t, verbose, q);
  }

  step(3, 'Paraphrases: found by embedding similarity, no model call');
  for (const q of PARAPHRASES) {
    const t = await ask(client, q).catch(() => null);
    if (!t) continue;
    if (t.answer.meta.sqlFrom === 'semantic-cache') byPath.similar.push(t.answer.meta.latencyMs);
    show(t, verbose, q);
  }

  step(4, 'A similar sentence naming other values never reuses SQL (the original would have)');
  // A real embedding model puts these two sentences at ~0.98; the stand-in is told to do the same.
  standIn?.setEmbedding('manifest for flight 116', bagOfWords('manifest for flight 115', 256));
  const other = await ask(client, 'manifest for flight 116').catch((e: Error) => e);
  if (other instanceof Error) fail(other.message);
  else {
    show(other, true, 'manifest for flight 116');
  }

  step(5, 'Hostile SQL: refused by the guard with the reason (POST /api/ask/sql)');
  for (const sql of HOSTILE) {
    try {
      await client.request('POST', '/api/ask/sql', { sql });
      fail(`accepted: ${sql}`);
    } catch (e) {
      const msg =
        e instanceof GatewayError ? String((e.body as { message?: string }).message) : (e as Error).message;
      ok(`${c.bold(sql)}\n      ${c.dim(msg.replace(/\. SQL: .*$/s, ''))}`);
    }
  }
  if (standIn) {
    standIn.queue('```sql\nSELECT 1; UPDATE booking SET price = 0\n```');
    const hostile = await ask(client, 'what did the hostile model say').catch((e: Error) => e);
    if (hostile instanceof GatewayError)
      ok(`a hostile model answer: ${c.dim(String((hostile.body as { message?: string }).message))}`);
  }

  step(6, 'Latency: model call vs cache (measured inside the query-service)');
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const m = avg(byPath.model);
  printTable(
    ['path', 'answers', 'average', 'speedup'],
    [
      ['model call', byPath.model.length, `${m.toFixed(1)} ms`, '1×'],
      [
        'semantic + query cache (same question)',
        byPath.same.length,
        `${avg(byPath.same).toFixed(2)} ms`,
        `${(m / avg(byPath.same)).toFixed(0)}×`,
      ],
      [
        'semantic cache by similarity',
        byPath.similar.length,
        `${avg(byPath.similar).toFixed(2)} ms`,
        `${(m / avg(byPath.similar)).toFixed(0)}×`,
      ],
    ],
  );
}

async function interactive(client: GatewayClient) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  info(
    'Ask a question about airports, flights, passengers or bookings; ":sql SELECT ..." runs SQL; ":quit" ends.',
  );
  info(c.dim(`e.g. ${EXAMPLES.join(' | ')}`));
  try {
    for (;;) {
      const line = (await rl.question(c.bold('\nask> '))).trim();
      if (!line) continue;
      if (line === ':quit' || line === ':q' || line === 'exit') return;
      try {
        const t = line.startsWith(':sql ')
          ? await client
              .request<AskAnswer>('POST', '/api/ask/sql', { sql: line.slice(5) })
              .then((r) => ({ answer: r.body, roundTripMs: r.roundTripMs }))
          : await ask(client, line);
        show(t, true, line);
        const { columns, rows } = t.answer.data;
        printTable(
          columns,
          rows.slice(0, 20).map((r) => columns.map((col) => String(r[col] ?? ''))),
          '    ',
        );
        if (rows.length > 20) info(c.dim(`… ${rows.length - 20} more row(s)`));
      } catch (e) {
        fail(
          e instanceof GatewayError ? String((e.body as { message?: string }).message) : (e as Error).message,
        );
      }
    }
  } finally {
    rl.close();
  }
}

runMain(main);
