import { createInterface } from 'node:readline/promises';
import type { CacheSource } from '@app/cache';

/** ANSI colours when writing to a terminal (and NO_COLOR is not set), plain text otherwise. */
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string | number) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : String(s));
export const c = {
  bold: paint(1),
  dim: paint(2),
  red: paint(31),
  green: paint(32),
  yellow: paint(33),
  blue: paint(34),
  magenta: paint(35),
  cyan: paint(36),
};

export function banner(title: string, subtitle?: string): void {
  const line = '═'.repeat(Math.max(title.length, subtitle?.length ?? 0) + 4);
  console.log(
    `\n${c.cyan(line)}\n  ${c.bold(title)}${subtitle ? `\n  ${c.dim(subtitle)}` : ''}\n${c.cyan(line)}`,
  );
}

export function step(n: number | string, title: string): void {
  console.log(`\n${c.bold(c.blue(`▶ Step ${n}`))} ${c.bold(title)}`);
}

export const info = (s: string) => console.log(`  ${s}`);
export const ok = (s: string) => console.log(`  ${c.green('✔')} ${s}`);
export const warn = (s: string) => console.log(`  ${c.yellow('!')} ${s}`);
export const fail = (s: string) => console.log(`  ${c.red('✘')} ${s}`);

/** Milliseconds with three decimals, as the dashboard shows them. */
export const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? 'n/a' : `${v.toFixed(3)} ms`;

export function sourceLabel(source: CacheSource | string): string {
  if (source === 'cache') return c.green('CACHE HIT ');
  if (source === 'database') return c.yellow('CACHE MISS');
  return c.magenta(source.toUpperCase());
}

/** A plain text table with right-aligned numbers. */
export function printTable(headers: string[], rows: Array<Array<string | number>>, indent = '  '): void {
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const cells = rows.map((r) => r.map((v) => (typeof v === 'number' ? v.toLocaleString('en-US') : v)));
  const widths = headers.map((h, i) =>
    Math.max(visible(h), ...cells.map((r) => visible(String(r[i] ?? '')))),
  );
  const numeric = headers.map((_, i) =>
    rows.every((r) => typeof r[i] === 'number' || /^[\d.,]+( ms|×|%| µs)?$/.test(String(r[i]))),
  );
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(widths[i] - visible(s));
    return numeric[i] ? gap + s : s + gap;
  };
  console.log(indent + headers.map((h, i) => c.bold(pad(h, i))).join('  '));
  console.log(indent + widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of cells) console.log(indent + r.map((v, i) => pad(String(v ?? ''), i)).join('  '));
}

/** Indents a block (SQL, JSON) under a step. */
export function block(text: string, indent = '    '): void {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const common = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  for (const l of lines) console.log(indent + c.dim(l.slice(common)));
}

/** One clause per line, for SQL that arrives on one line. */
export function formatSql(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/ (FROM|LEFT JOIN|JOIN|WHERE|GROUP BY|ORDER BY|LIMIT|UNION ALL|HAVING) /g, '\n$1 ')
    .replace(/ (AND|OR) /g, '\n  $1 ')
    .trim();
}

/** Interactive mode: waits for Enter between steps. */
export async function pause(enabled: boolean, prompt = 'Press Enter to continue…'): Promise<void> {
  if (!enabled || !process.stdin.isTTY) return;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  await rl.question(c.dim(`  ${prompt}`));
  rl.close();
}

export interface LatencySummary {
  count: number;
  min: number;
  avg: number;
  max: number;
  p50: number;
  p99: number;
}

export function summarize(values: number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    count: values.length,
    min: sorted[0],
    avg: values.reduce((a, b) => a + b, 0) / values.length,
    max: sorted[sorted.length - 1],
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** "12.3×" when both sides exist. */
export function speedup(slow: number | null | undefined, fast: number | null | undefined): string {
  return slow && fast ? `${(slow / fast).toFixed(1)}×` : 'n/a';
}
