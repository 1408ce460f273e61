/**
 * Reading what the apps export and what the dashboard asks for: Prometheus's text format, and the metric names
 * in the dashboard's PromQL. Used by the metrics suites and by `npm run test:compose`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** One sample of Prometheus's text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** # TYPE lines: metric family -> counter, gauge, histogram... */
  types: Map<string, string>;
  /** Families with at least one sample (histogram families by their base name). */
  families: Set<string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format (version 0.0.4) strictly enough to fail on a malformed line. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    // Prometheus parses values with Go's ParseFloat, which takes NaN in any case; prom-client writes "Nan".
    if (Number.isNaN(value) && m[3].toLowerCase() !== 'nan')
      throw new Error(`bad value in ${JSON.stringify(line)}`);
    samples.push({ name: m[1], labels, value });
  }
  const families = new Set<string>();
  for (const s of samples) {
    const base = s.name.replace(/_(bucket|sum|count)$/, '');
    families.add(types.get(base) === 'histogram' ? base : s.name);
  }
  return { samples, types, families };
}

/** The value of the one sample with this name whose labels include `labels` (undefined when none; throws when several). */
export function valueOf(
  e: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = e.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** The Grafana dashboard in the repository (`root`: the repository, from src/ or dist/). */
export function dashboardPath(root: string): string {
  return resolve(root, 'observability/grafana/dashboards/cache-me-if-you-can.json');
}

export interface DashboardQuery {
  panel: string;
  expr: string;
}

export interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr?: string; datasource?: { uid?: string } }>;
  datasource?: { uid?: string };
  panels?: Panel[];
}

export function dashboardPanels(root: string): Panel[] {
  const dashboard = JSON.parse(readFileSync(dashboardPath(root), 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
}

export function dashboardQueries(root: string): DashboardQuery[] {
  return dashboardPanels(root).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
  );
}

/** Grafana's own variables, as Prometheus would see them for a 1-minute window. */
export function asPromQL(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m');
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (not its functions, keywords, labels or strings). */
export function metricNamesIn(expr: string): string[] {
  const stripped = asPromQL(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    if (m[2] || PROMQL_WORDS.has(m[1].toLowerCase())) continue; // a function call, or a keyword
    names.add(m[1]);
  }
  return [...names];
}
