import type { PassengerSampleEntry } from '@app/contracts';
import { parseDemoArgs, runMain } from './demo/args';
import { GatewayError } from './demo/http';
import { banner, c, info, ms, ok, pause, printTable, step, summarize } from './demo/output';

const USAGE = `
npm run demo:session -- [--flights 5] [-i]

The original workshop's session store through the gateway: log in as a passenger (the session lives in Valkey,
the browser keeps only a signed, HttpOnly cookie), look up the weather, fill a flight basket from two "tabs" at
once (nothing is lost), list it with live seat availability, see the sliding TTL, log out, and the 401s.

  --flights N   flights put in the basket (default 5)
  -i            pause between steps
`;

interface Reply {
  status: number;
  body: { data?: any; meta?: any; message?: unknown };
  cookie: string | null;
  ms: number;
}

export async function sessionDemo(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      flights: { type: 'string', default: '5' },
      interactive: { type: 'boolean', short: 'i', default: false },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const interactive = values.interactive === true;
  const howMany = Math.max(1, Math.min(50, Number(values.flights) || 5));
  banner('Session store demo', `gateway ${client.baseUrl}: a server-side session in Valkey`);

  const call = async (
    method: string,
    path: string,
    cookie?: string | null,
    body?: unknown,
  ): Promise<Reply> => {
    const started = performance.now();
    const res = await fetch(new URL(path, client.baseUrl), {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }).catch((e: Error) => {
      throw new Error(
        `Cannot reach the gateway at ${client.baseUrl} (${e.message}). Is it running? (npm start)`,
      );
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : {},
      cookie: res.headers.get('set-cookie')?.split(';')[0] ?? null,
      ms: performance.now() - started,
    };
  };

  step(1, 'Log in by passport number');
  const [passenger] = (await client.read<PassengerSampleEntry[]>('/api/passengers/sample?count=1')).data;
  if (!passenger) throw new Error('no passenger with bookings: seed the database first (npm run db:seed)');
  const login = await call('POST', '/api/session/login', null, { passportNo: passenger.passportNo });
  if (login.status !== 200) throw new GatewayError(login.status, login.body, 'POST /api/session/login');
  const cookie = login.cookie!;
  ok(
    `logged in as ${passenger.firstname} ${passenger.lastname} (${passenger.passportNo}) in ${ms(login.ms)}`,
  );
  info(`cookie: ${c.dim(cookie.slice(0, 40))}…  (signed id only; HttpOnly; the session is a Valkey hash)`);
  info(`sliding TTL: ${login.body.data.expiresInSeconds} s, started again by every request`);
  await pause(interactive);

  step(2, 'Weather lookups, remembered in the session');
  for (const city of ['DE/10115', 'US/10001', 'DE/10115']) {
    const w = await call('GET', `/api/session/weather/${city}`, cookie);
    info(
      `${city}: ${w.body.data?.name ?? '?'} ${w.body.data?.main?.temp ?? '?'}° (${w.body.meta?.source}, ${ms(w.ms)})`,
    );
  }
  await pause(interactive);

  step(3, `A basket filled from two tabs at the same moment (${howMany} flights each side, some the same)`);
  const first = 115;
  const tabA = Array.from({ length: howMany }, (_, i) => first + i);
  const tabB = Array.from({ length: howMany }, (_, i) => first + Math.floor(howMany / 2) + i);
  const adds = await Promise.all(
    [...tabA, ...tabB].map((f) => call('PUT', `/api/session/basket/${f}`, cookie)),
  );
  const expected = new Set([...tabA, ...tabB]);
  const me = await call('GET', '/api/session', cookie);
  const kept: number[] = me.body.data.basket;
  ok(
    `${adds.length} concurrent adds (SADD in one script each): basket holds ${kept.length} of ${expected.size} distinct flights`,
  );
  const a = summarize(adds.map((x) => x.ms))!;
  info(`add latency: avg ${ms(a.avg)}, max ${ms(a.max)}`);
  const basket = await call('GET', '/api/session/basket', cookie);
  printTable(
    ['flight', 'route', 'departs', 'status', 'free seats'],
    (basket.body.data as any[]).map((f) => [
      f.flightId,
      `${f.from ?? '?'} → ${f.to ?? '?'}`,
      String(f.departure ?? '')
        .replace('T', ' ')
        .slice(0, 16),
      f.status ?? f.problem,
      `${f.available ?? '?'} of ${f.capacity ?? '?'}`,
    ]),
  );
  await call('DELETE', `/api/session/basket/${first}`, cookie);
  info(
    `removed flight ${first}: ${(await call('GET', '/api/session', cookie)).body.data.basket.length} left`,
  );
  await pause(interactive);

  step(4, 'What is refused, and why');
  const forged = cookie.replace(/=([^.]+)/, '=someone-else');
  for (const [what, r] of [
    ['no cookie', await call('GET', '/api/session')],
    ['forged cookie', await call('GET', '/api/session', forged)],
  ] as const) {
    info(`${what}: ${r.status} ${c.dim(JSON.stringify(r.body.message))}`);
  }
  const out = await call('POST', '/api/session/logout', cookie);
  ok(`logout: ${out.status}, the session's keys are deleted`);
  const after = await call('GET', '/api/session', cookie);
  info(`the old cookie after logout: ${after.status} ${c.dim(JSON.stringify(after.body.message))}`);
}

if (require.main === module) runMain(sessionDemo);
