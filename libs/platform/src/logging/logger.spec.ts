import { Writable } from 'node:stream';
import { requestContext } from '@app/contracts';
import { appLogger, logOutput } from './logger';

/** Lines written to a stream, as the apps write them to stdout. */
function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { destination, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('logOutput (LOG_FORMAT)', () => {
  it.each([
    ['auto', false, {}, { format: 'json', colour: false }],
    ['auto', true, {}, { format: 'pretty', colour: true }],
    ['json', true, {}, { format: 'json', colour: false }],
    ['pretty', false, {}, { format: 'pretty', colour: false }],
    ['pretty', false, { FORCE_COLOR: '1' }, { format: 'pretty', colour: true }],
    ['auto', true, { NO_COLOR: '1' }, { format: 'pretty', colour: false }],
    ['pretty', false, { FORCE_COLOR: '0' }, { format: 'pretty', colour: false }],
  ] as const)('%s, terminal %s, env %j -> %j', (format, isTTY, env, expected) => {
    expect(logOutput(format, { isTTY }, env)).toEqual(expected);
  });
});

describe('appLogger', () => {
  it('writes one JSON object a line: level, time, app, context, message', () => {
    const out = capture();
    const logger = appLogger({ logLevel: 'log', logFormat: 'json' }, 'query-service', out);
    logger.log('listening on TCP 127.0.0.1:3001', 'query-service');
    logger.warn('slow', 'CacheGuard');
    const [first, second] = out.lines().map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      level: 'info',
      app: 'query-service',
      pid: process.pid,
      context: 'query-service',
      msg: 'listening on TCP 127.0.0.1:3001',
    });
    expect(Date.parse(first.time)).not.toBeNaN();
    expect(second).toMatchObject({ level: 'warn', context: 'CacheGuard', msg: 'slow' });
  });

  it('adds the request id of the request being served, and only then', () => {
    const out = capture();
    const logger = appLogger({ logLevel: 'log', logFormat: 'json' }, 'gateway', out);
    requestContext.run({ requestId: 'req-1' }, () => logger.log('inside', 'X'));
    logger.log('outside', 'X');
    const [inside, outside] = out.lines().map((l) => JSON.parse(l));
    expect(inside.requestId).toBe('req-1');
    expect(outside).not.toHaveProperty('requestId');
  });

  it('prints only LOG_LEVEL and above (log = info; debug and verbose below it)', () => {
    const out = capture();
    const logger = appLogger({ logLevel: 'log', logFormat: 'json' }, 'gateway', out);
    logger.debug('hidden', 'X');
    logger.verbose('hidden', 'X');
    logger.error('shown', 'X');
    expect(out.lines().map((l) => JSON.parse(l).msg)).toEqual(['shown']);
    const verbose = capture();
    const all = appLogger({ logLevel: 'verbose', logFormat: 'json' }, 'gateway', verbose);
    all.debug('d', 'X');
    all.verbose('v', 'X');
    expect(verbose.lines().map((l) => JSON.parse(l).level)).toEqual(['debug', 'trace']);
  });

  it("takes Nest's error shapes: (message, stack, context), (message, context), an Error, an object", () => {
    const out = capture();
    const logger = appLogger({ logLevel: 'log', logFormat: 'json' }, 'gateway', out);
    const stack = 'Error: boom\n    at somewhere (file.js:1:1)';
    logger.error('boom', stack, 'ExceptionsHandler');
    logger.error('no stack', 'RpcErrorFilter');
    logger.error('only a stack', stack);
    logger.error(new Error('thrown'), 'X');
    logger.log({ event: 'booking', id: 7 }, 'X');
    const lines = out.lines().map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'boom', stack, context: 'ExceptionsHandler' });
    expect(lines[1]).toMatchObject({ msg: 'no stack', context: 'RpcErrorFilter' });
    expect(lines[1]).not.toHaveProperty('stack');
    expect(lines[2]).toMatchObject({ msg: 'only a stack', stack });
    expect(lines[3]).toMatchObject({ msg: 'thrown', context: 'X', err: { message: 'thrown' } });
    expect(lines[4]).toMatchObject({ level: 'info', event: 'booking', id: 7, context: 'X' });
  });

  it('pretty: readable lines with the context and the request id, coloured only on a terminal', () => {
    const plain = capture();
    const logger = appLogger({ logLevel: 'log', logFormat: 'pretty' }, 'gateway', {
      destination: plain.destination,
      terminal: false,
    });
    requestContext.run({ requestId: 'req-9' }, () => logger.log('hello', 'Http'));
    expect(plain.lines()).toEqual([expect.stringMatching(/INFO.*\[Http\] hello \(request req-9\)$/)]);
    expect(plain.lines()[0]).not.toContain('\u001b[');

    const coloured = capture();
    appLogger({ logLevel: 'log', logFormat: 'auto' }, 'gateway', {
      destination: coloured.destination,
      terminal: true,
    }).warn('careful', 'X');
    expect(coloured.lines()[0]).toContain('\u001b[');
    expect(coloured.lines()[0]).toContain('careful');
  });
});
