import { parseArgs, ParseArgsConfig } from 'node:util';
import { GatewayClient } from './http';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every demo understands: where the gateway is and the admin credentials for DELETE /api/cache. */
export const COMMON_OPTIONS = {
  url: { type: 'string', default: process.env.GATEWAY_URL ?? 'http://localhost:3000' },
  'admin-user': { type: 'string', default: process.env.ADMIN_USER ?? 'admin' },
  'admin-password': { type: 'string', default: process.env.ADMIN_PASSWORD ?? 'admin' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

export type FlagValues = Record<string, string | boolean | undefined>;

export interface DemoCli {
  values: FlagValues;
  client: GatewayClient;
}

/**
 * Parses argv with node's own parseArgs (strict: an unknown flag is an error that names it) and prints the
 * usage text for --help (then returns null). yargs 18 is ESM-only and this project builds CommonJS.
 */
export function parseDemoArgs(argv: string[], options: Options, usage: string): DemoCli | null {
  const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, strict: true });
  const v = values as FlagValues;
  if (v.help) {
    console.log(usage.trim());
    console.log(
      '\nCommon options:\n  --url URL              gateway base URL (default http://localhost:3000, env GATEWAY_URL)\n' +
        '  --admin-user, --admin-password   credentials for DELETE /api/cache (default ADMIN_USER/ADMIN_PASSWORD or admin/admin)',
    );
    return null;
  }
  const client = new GatewayClient(String(v.url), {
    admin: { user: String(v['admin-user']), password: String(v['admin-password']) },
  });
  return { values: v, client };
}

/** A whole number flag within bounds, or an error naming the flag. */
export function intFlag(name: string, raw: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Runs a demo's main: friendly one-line errors, exit code 1. */
export function runMain(main: (argv: string[]) => Promise<unknown>): void {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`\n✘ ${e.message}`);
      process.exit(1);
    },
  );
}
