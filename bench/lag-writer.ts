/**
 * The other process of `npm run bench:read`'s invalidation lag: on each message { key, value } from its parent it
 * notes the time (wall clock, µs resolution: both processes read the same system clock) and SETs the key, then
 * answers { at } — so the parent measures from the moment the write was issued in another OS process to the moment
 * its own near cache dropped the key.
 */
import Valkey from 'iovalkey';
import { performance } from 'node:perf_hooks';

const client = new Valkey({
  host: process.env.CACHE_HOST ?? '127.0.0.1',
  port: Number(process.env.CACHE_PORT ?? 6379),
});

process.on('message', (m: { key: string; value: string }) => {
  const at = performance.timeOrigin + performance.now();
  client.set(m.key, m.value, 'EX', 300).then(
    () => process.send?.({ at }),
    (e: Error) => process.send?.({ error: e.message }),
  );
});
process.on('disconnect', () => {
  client.disconnect();
  process.exit(0);
});
client.once('ready', () => process.send?.({ ready: true }));
