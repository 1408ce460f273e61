import { Socket } from 'node:net';

/**
 * Unit project (setupFilesAfterEnv): a unit test that opens a connection fails at once, naming where it
 * connected, instead of depending on a server that happens to run. Restored after the file, because a worker
 * may run an integration suite next.
 */
const connect = Socket.prototype.connect;

Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
  const [first] = args;
  const target =
    typeof first === 'object' && first !== null
      ? JSON.stringify({ host: (first as { host?: string }).host, port: (first as { port?: number }).port })
      : String(first);
  throw new Error(
    `unit tests must not open connections (tried ${target}): this belongs in test/integration/`,
  );
} as typeof connect;

afterAll(() => {
  Socket.prototype.connect = connect;
});
