/**
 * One "process" of the cross-process stampede check (bench:stampede and the cache suite): it opens its own cache
 * primitives from the environment (CACHE_HOST, CACHE_PORT, CACHE_KEY_PREFIX, CACHE_COALESCE...) and, on each
 * `run` message from its parent, fires every request at once through CacheService.getOrLoad with a loader that
 * takes `loaderMs`, then reports how many times its loader ran and each request's latency.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '@app/platform';
import { createCachePrimitives } from '@app/cache';
import { StampedeReport, StampedeRun, WorkerMessage } from './protocol';

async function main() {
  const primitives = await createCachePrimitives(loadConfig(process.env));
  const send = (m: WorkerMessage) => process.send?.(m);

  process.on('message', async (m: StampedeRun | { type: 'exit' }) => {
    if (m.type === 'exit') {
      await primitives.close();
      process.exit(0);
    }
    if (m.type !== 'run') return;
    let loaderCalls = 0;
    const loader = async () => {
      loaderCalls++;
      await new Promise((r) => setTimeout(r, m.loaderMs));
      return { loadedBy: process.pid, at: Date.now() };
    };
    const requests = m.keys.flatMap((key) => Array.from({ length: m.perKey }, () => key));
    const latencies: number[] = [];
    let failures = 0;
    await Promise.all(
      requests.map(async (key) => {
        const started = performance.now();
        try {
          await primitives.cache.getOrLoad(key, loader, { queryClass: 'stampede', ttl: 60 });
          latencies.push(performance.now() - started);
        } catch {
          failures++;
        }
      }),
    );
    const report: StampedeReport = { type: 'result', loaderCalls, latencies, failures };
    send(report);
  });
  send({ type: 'ready' });
}

main().catch((e: Error) => {
  console.error(`stampede worker: ${e.stack ?? e.message}`);
  process.exit(1);
});
