/**
 * The yardstick for `npm run bench:read`: the least a server can do to answer a cached read — plain node:http and
 * one iovalkey GET of the same key the gateway would hit. Routes come from REF_ROUTES (JSON: path -> key).
 */
import { createServer } from 'node:http';
import Valkey from 'iovalkey';

const routes = new Map<string, string>(
  Object.entries(JSON.parse(process.env.REF_ROUTES ?? '{}') as Record<string, string>),
);
const client = new Valkey({
  host: process.env.CACHE_HOST ?? '127.0.0.1',
  port: Number(process.env.CACHE_PORT ?? 6379),
});

const server = createServer((req, res) => {
  const key = routes.get(req.url ?? '');
  if (!key) {
    res.writeHead(404).end();
    return;
  }
  client.get(key).then(
    (value) => {
      res.writeHead(value === null ? 404 : 200, { 'content-type': 'application/json' });
      res.end(value ?? '');
    },
    () => res.writeHead(503).end(),
  );
});
server.listen(Number(process.env.REF_PORT), '127.0.0.1', () => process.send?.('ready'));
