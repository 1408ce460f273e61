import { ServerResponse } from 'node:http';
import {
  Dialect,
  readJsonObject,
  sendJson as send,
  StandInCounters,
  StandInTimers,
  startStandInServer,
} from '@app/platform';

/**
 * A stand-in for Ollama on its own HTTP port, speaking the parts of its API the ask path uses, so every model call
 * is a real remote call with real latency (like the mock weather provider stands in for OpenWeatherMap):
 *
 * - `POST /api/generate` {model, system, prompt, stream: false, options} -> {model, response, done, ...}: the SQL
 *   for the original workshop's example questions (read from the prompt's "Question:" and "Dialect:" lines), in
 *   the prompt's dialect; an answer queued through `/admin/next` comes first (tests script hostile answers so);
 * - `POST /api/embed` {model, input} -> {embeddings}: a deterministic bag-of-words embedding (stop words dropped,
 *   light stemming, hashed into `dims` dimensions), or a vector set through `/admin/embeddings`;
 * - `GET /api/tags`, `GET /api/version`; an unknown model is a 404 {"error": "model … not found"} as Ollama says it.
 *
 * `/admin/stats` counts calls (GET; DELETE resets), `/admin/next` queues answers, `/admin/delay` sets latency.
 */
export interface OllamaStandInOptions {
  host?: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** Latency of a generate call (a small local model answers in 0.5-3 s). */
  generateDelayMs?: number;
  /** Latency of an embedding call. */
  embedDelayMs?: number;
  /** Models it "has" (others: 404). Default: codellama and nomic-embed-text. */
  models?: string[];
  /** Dimensions of its embeddings. */
  dims?: number;
}

export interface StandInStats {
  generate: number;
  embed: number;
  notFound: number;
  /** The questions the generate calls carried. */
  questions: string[];
}

export interface OllamaStandInHandle {
  url: string;
  port: number;
  stats(): StandInStats;
  resetStats(): void;
  /** The next generate calls answer these texts, in order (then the scripted SQL again). */
  queue(...answers: string[]): void;
  /** The embedding of exactly this text. */
  setEmbedding(text: string, vector: number[]): void;
  setDelays(d: { generateDelayMs?: number; embedDelayMs?: number }): void;
  close(): Promise<void>;
}

export const STAND_IN_MODELS = ['codellama', 'nomic-embed-text'];

export async function startOllamaStandIn(options: OllamaStandInOptions): Promise<OllamaStandInHandle> {
  let generateDelay = options.generateDelayMs ?? 0;
  let embedDelay = options.embedDelayMs ?? 0;
  const models = new Set(options.models ?? STAND_IN_MODELS);
  const dims = options.dims ?? 256;
  const queued: string[] = [];
  const embeddings = new Map<string, number[]>();
  const counters = new StandInCounters(emptyStats);
  const timers = new StandInTimers();
  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    timers.later(ms, fn);
  };

  const knows = (model: unknown) =>
    typeof model === 'string' && (models.has(model) || models.has(model.replace(/:latest$/, '')));
  const missing = (res: ServerResponse, model: unknown) => {
    counters.now.notFound++;
    send(res, 404, { error: `model "${String(model)}" not found, try pulling it first` });
  };

  const server = await startStandInServer({ port: options.port, host: options.host, timers }, (req, res) => {
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://stand-in').pathname}`;
    const body = () => readJsonObject(req, 1_000_000);
    const fail = (e: Error) => send(res, 400, { error: e.message });
    if (counters.serve(route, res)) return;
    switch (route) {
      case 'POST /api/generate':
        return void body()
          .then((b) => {
            if (!knows(b.model)) return missing(res, b.model);
            counters.now.generate++;
            const prompt = String(b.prompt ?? '');
            const question = lastMatch(prompt, /^Question: (.*)$/gm) ?? prompt;
            counters.now.questions.push(question);
            const answer = queued.length
              ? queued.shift()!
              : scriptedSql(question, lastMatch(prompt, /^Dialect: (.*)$/gm));
            later(generateDelay, () =>
              send(res, 200, {
                model: b.model,
                created_at: new Date().toISOString(),
                response: answer,
                done: true,
                done_reason: 'stop',
                total_duration: generateDelay * 1e6,
              }),
            );
          })
          .catch(fail);
      case 'POST /api/embed':
      case 'POST /api/embeddings':
        return void body()
          .then((b) => {
            if (!knows(b.model)) return missing(res, b.model);
            counters.now.embed++;
            const inputs = route.endsWith('embeddings')
              ? [b.prompt]
              : Array.isArray(b.input)
                ? b.input
                : [b.input];
            const vectors = inputs.map((t) => embeddings.get(String(t)) ?? bagOfWords(String(t), dims));
            later(embedDelay, () =>
              send(
                res,
                200,
                route.endsWith('embeddings')
                  ? { embedding: vectors[0] }
                  : { model: b.model, embeddings: vectors },
              ),
            );
          })
          .catch(fail);
      case 'GET /api/tags':
        return send(res, 200, {
          models: [...models].map((name) => ({ name: `${name}:latest`, model: `${name}:latest` })),
        });
      case 'GET /api/version':
        return send(res, 200, { version: '0.0.0-stand-in' });
      case 'POST /admin/next':
        return void body()
          .then((b) => {
            queued.push(String(b.response ?? ''));
            send(res, 200, { queued: queued.length });
          })
          .catch(fail);
      case 'PUT /admin/delay':
        return void body()
          .then((b) => {
            if (typeof b.generateDelayMs === 'number') generateDelay = b.generateDelayMs;
            if (typeof b.embedDelayMs === 'number') embedDelay = b.embedDelayMs;
            send(res, 200, { generateDelayMs: generateDelay, embedDelayMs: embedDelay });
          })
          .catch(fail);
      default:
        return send(res, 404, { error: `no route ${route}` });
    }
  });

  return {
    url: server.url,
    port: server.port,
    stats: () => counters.snapshot(),
    resetStats: () => counters.reset(),
    queue: (...answers) => void queued.push(...answers),
    setEmbedding: (text, vector) => void embeddings.set(text, vector),
    setDelays: (d) => {
      if (d.generateDelayMs !== undefined) generateDelay = d.generateDelayMs;
      if (d.embedDelayMs !== undefined) embedDelay = d.embedDelayMs;
    },
    close: () => server.close(),
  };
}

function emptyStats(): StandInStats {
  return { generate: 0, embed: 0, notFound: 0, questions: [] };
}

function lastMatch(text: string, re: RegExp): string | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(re)) last = m[1].trim();
  return last;
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * What the stand-in "model" writes for a question: the original workshop's examples and a few more, in the
 * dialect the prompt names. Anything else gets an answer that is not SQL (the guard refuses it: 422).
 */
export function scriptedSql(question: string, dialectName = 'MySQL/MariaDB'): string {
  const d = new Dialect(/postgres/i.test(dialectName) ? 'postgres' : 'mysql');
  const q = question.trim().replace(/[?.!]+$/, '');
  let m: RegExpExecArray | null;
  if ((m = /airport (?:details|info(?:rmation)?) (?:for|of|about) ([A-Za-z]{3})\b/i.exec(q)))
    return `SELECT a.airport_id, a.iata, a.icao, a.name, g.city, g.country, g.latitude, g.longitude\nFROM airport a\nLEFT JOIN airport_geo g ON g.airport_id = a.airport_id\nWHERE a.iata = ${sqlText(m[1].toUpperCase())}\nLIMIT 1`;
  if ((m = /flights? from ([A-Za-z]{3}) to ([A-Za-z]{3})\b/i.exec(q)))
    return `SELECT f.flight_id, f.flightno, f.departure, f.arrival, al.airlinename\nFROM flight f\nJOIN airport dep ON dep.airport_id = f.${d.id('from')}\nJOIN airport arr ON arr.airport_id = f.${d.id('to')}\nJOIN airline al ON al.airline_id = f.airline_id\nWHERE dep.iata = ${sqlText(m[1].toUpperCase())} AND arr.iata = ${sqlText(m[2].toUpperCase())}\nORDER BY f.departure\nLIMIT 20`;
  if ((m = /(\d+) passengers (?:from|in|living in) (?:the )?(.+)$/i.exec(q)))
    return `SELECT p.passenger_id, p.passportno, p.firstname, p.lastname, pd.city\nFROM passenger p\nJOIN passengerdetails pd ON pd.passenger_id = p.passenger_id\nWHERE pd.country = ${sqlText(titleCase(m[2]))}\nORDER BY p.passenger_id\nLIMIT ${Number(m[1])}`;
  if ((m = /(?:booking count|number of bookings|how many bookings)\b.*\bpassenger (\d+)/i.exec(q)))
    return `SELECT COUNT(*) AS bookings FROM booking WHERE passenger_id = ${Number(m[1])}`;
  if ((m = /(?:manifest|passengers) (?:for|of|on) flight (\d+)/i.exec(q)))
    return `SELECT b.seat, p.firstname, p.lastname, p.passportno, pd.country, b.price\nFROM booking b\nJOIN passenger p ON p.passenger_id = b.passenger_id\nLEFT JOIN passengerdetails pd ON pd.passenger_id = b.passenger_id\nWHERE b.flight_id = ${Number(m[1])}\nORDER BY b.seat`;
  if ((m = /top (\d+) airlines/i.exec(q)))
    return `SELECT al.airlinename, COUNT(*) AS flights\nFROM flight f\nJOIN airline al ON al.airline_id = f.airline_id\nGROUP BY al.airlinename\nORDER BY flights DESC\nLIMIT ${Number(m[1])}`;
  if ((m = /(?:busiest|top (\d+)) airports/i.exec(q)))
    return `SELECT a.iata, a.name, COUNT(*) AS departures\nFROM flight f\nJOIN airport a ON a.airport_id = f.${d.id('from')}\nGROUP BY a.iata, a.name\nORDER BY departures DESC\nLIMIT ${Number(m[1] ?? 10)}`;
  if ((m = /airports in (?:the )?(.+)$/i.exec(q)))
    return `SELECT a.iata, a.name, g.city\nFROM airport a\nJOIN airport_geo g ON g.airport_id = a.airport_id\nWHERE g.country = ${sqlText(titleCase(m[1]))}\nORDER BY a.name\nLIMIT 50`;
  if (/how many bookings/i.test(q)) return 'SELECT COUNT(*) AS bookings FROM booking';
  return `I cannot answer "${q}" with this schema.`;
}

function titleCase(s: string): string {
  return s
    .trim()
    .split(/\s+/)
    .map((w) => (w.length <= 3 && w === w.toUpperCase() ? w : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join(' ');
}

const STOP_WORDS = new Set(
  'a an the of for to from in on at by with and or me show list give find get what which who whose is are was were all please tell about do does how'.split(
    ' ',
  ),
);

/**
 * A deterministic embedding: words (lower case, stop words dropped, a plural "s" removed) hashed into `dims`
 * buckets and normalised. Same words -> same vector; one word different -> clearly lower similarity.
 */
export function bagOfWords(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
  for (const raw of words) {
    const w = raw.length > 3 && raw.endsWith('s') ? raw.slice(0, -1) : raw;
    let h = 2166136261;
    for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    v[(h >>> 0) % dims] += 1;
  }
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}
