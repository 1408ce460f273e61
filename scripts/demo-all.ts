import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseDemoArgs, runMain } from './demo/args';
import { banner, c, printTable } from './demo/output';

const USAGE = `
npm run demo:all -- [--quick] [--flight-id 115]

Runs every workshop demo against the gateway, one after the other, and stops at the first that fails:
cache-aside (from a flushed cache), write-through, write-behind, weather API cache, stampede prevention, then the
performance test.

  --quick          shorter runs: 50 write-behind bookings, 4 × 1000 operations in the performance test
  --flight-id N    flight used by the booking and flight demos (default 115)
  --provider-url URL   the mock weather provider, for demo:stampede's call counter (default: its own default)
`;

/** Each demo runs as its own process (its own flags, progress bars on this terminal), exactly as npm run would. */
function runScript(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, script), ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function allDemos(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      quick: { type: 'boolean', default: false },
      'flight-id': { type: 'string', default: '115' },
      'provider-url': { type: 'string' },
    },
    USAGE,
  );
  if (!cli) return;
  const v = cli.values;
  const common = [
    '--url',
    String(v.url),
    '--admin-user',
    String(v['admin-user']),
    '--admin-password',
    String(v['admin-password']),
  ];
  const flight = ['--flight-id', String(v['flight-id'])];
  const quick = v.quick === true;
  const demos: Array<[name: string, script: string, args: string[]]> = [
    ['demo:cache-aside', 'demo-cache-aside.js', [...flight, '-f']],
    ['demo:write-through', 'demo-write-through.js', flight],
    ['demo:write-behind', 'demo-write-behind.js', [...flight, ...(quick ? ['--bookings', '50'] : [])]],
    ['demo:weather', 'demo-weather.js', []],
    [
      'demo:stampede',
      'demo-stampede.js',
      v['provider-url'] ? ['--provider-url', String(v['provider-url'])] : [],
    ],
    ['demo:perf', 'demo-perf.js', quick ? ['--queries', '1000'] : []],
  ];
  const results: Array<[string, string, string]> = [];
  for (const [name, script, args] of demos) {
    if (!existsSync(join(__dirname, script))) {
      results.push([name, c.yellow('not built'), '']);
      continue;
    }
    banner(name, `npm run ${name} -- ${args.join(' ')}`);
    const started = Date.now();
    const code = await runScript(script, [...common, ...args]);
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    results.push([name, code === 0 ? c.green('ok') : c.red(`exit ${code}`), took]);
    if (code !== 0) break;
  }
  banner('demo:all');
  printTable(['demo', 'result', 'took'], results);
  if (results.some(([, r]) => !r.includes('ok'))) throw new Error('not every demo finished');
}

if (require.main === module) runMain(allDemos);
