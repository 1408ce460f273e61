import { parseDemoArgs, runMain } from './demo/args';
import { banner, c } from './demo/output';
import { cacheAsideDemo } from './demo-cache-aside';
import { perfDemo } from './demo-perf';
import { writeBehindDemo } from './demo-write-behind';
import { writeThroughDemo } from './demo-write-through';

const USAGE = `
npm run demo:all -- [--quick] [--flight-id 115]

Runs every workshop demo against the gateway, in order: cache-aside (from a flushed cache), write-through,
write-behind, then the performance test.

  --quick          shorter runs: 50 write-behind bookings and 4 × 1000 operations in the performance test
  --flight-id N    flight used by the demos (default 115)
`;

export async function allDemos(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    { quick: { type: 'boolean', default: false }, 'flight-id': { type: 'string', default: '115' } },
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
  const demos: Array<[string, (argv: string[]) => Promise<void>, string[]]> = [
    ['demo:cache-aside', cacheAsideDemo, [...common, ...flight, '-f']],
    ['demo:write-through', writeThroughDemo, [...common, ...flight]],
    ['demo:write-behind', writeBehindDemo, [...common, ...flight, ...(quick ? ['--bookings', '50'] : [])]],
    ['demo:perf', perfDemo, [...common, ...(quick ? ['--queries', '1000'] : [])]],
  ];
  const started = Date.now();
  for (const [name, demo, args] of demos) {
    banner(name, `npm run ${name} -- ${args.slice(common.length).join(' ')}`);
    await demo(args);
  }
  console.log(c.green(`\n✔ all demos finished in ${((Date.now() - started) / 1000).toFixed(1)} s`));
}

if (require.main === module) runMain(allDemos);
