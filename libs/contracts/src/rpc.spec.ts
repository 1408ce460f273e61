import {
  BadRequestException,
  ConflictException,
  GatewayTimeoutException,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { NEVER, Observable, firstValueFrom, of, throwError } from 'rxjs';
import { RpcErrorBody, RpcErrorFilter, callService, toRpcErrorBody } from './rpc';

describe('toRpcErrorBody', () => {
  it('keeps the status, error name and message of an HttpException', () => {
    expect(toRpcErrorBody(new NotFoundException('flight 42 not found'))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'flight 42 not found',
    });
    expect(toRpcErrorBody(new ConflictException('seat 12C is taken'))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'seat 12C is taken',
    });
  });

  it('keeps a validation error list as a list', () => {
    const e = new BadRequestException(['seat must match /^[1-9][0-9]{0,2}[A-K]$/', 'price must be positive']);
    expect(toRpcErrorBody(e)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['seat must match /^[1-9][0-9]{0,2}[A-K]$/', 'price must be positive'],
    });
  });

  it('names the status when the response object has no error field, and falls back to the exception message', () => {
    expect(toRpcErrorBody(new HttpException({ message: 'slow down' }, 429))).toEqual({
      statusCode: 429,
      error: HttpStatus[429],
      message: 'slow down',
    });
    expect(toRpcErrorBody(new HttpException({ reason: 'x' }, 503))).toEqual({
      statusCode: 503,
      error: 'SERVICE_UNAVAILABLE',
      message: 'Http Exception',
    });
  });

  it('a string response becomes the message; an unknown status is a plain "Error"', () => {
    expect(toRpcErrorBody(new HttpException('short and stout', 418))).toEqual({
      statusCode: 418,
      error: 'I_AM_A_TEAPOT',
      message: 'short and stout',
    });
    expect(toRpcErrorBody(new HttpException('client closed', 499))).toEqual({
      statusCode: 499,
      error: 'Error',
      message: 'client closed',
    });
  });

  it('anything else is a 500 that does not leak the message', () => {
    const expected: RpcErrorBody = {
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
    };
    expect(toRpcErrorBody(new Error('password=hunter2 in connection string'))).toEqual(expected);
    expect(toRpcErrorBody('a thrown string')).toEqual(expected);
    expect(toRpcErrorBody(undefined)).toEqual(expected);
    expect(toRpcErrorBody({ statusCode: 404 })).toEqual(expected);
  });
});

describe('RpcErrorFilter', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('sends the body back as the error of the reply; logs only what is not an HttpException', async () => {
    const filter = new RpcErrorFilter();
    await expect(firstValueFrom(filter.catch(new NotFoundException('nope'), {} as never))).rejects.toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'nope',
    });
    expect(logged).not.toHaveBeenCalled();
    await expect(firstValueFrom(filter.catch(new Error('bug'), {} as never))).rejects.toMatchObject({
      statusCode: 500,
    });
    expect(logged).toHaveBeenCalledTimes(1);
  });
});

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<any> {
  return p.then(
    (v) => {
      throw new Error(`resolved with ${JSON.stringify(v)}`);
    },
    (e) => e,
  );
}

describe('callService', () => {
  const client = (reply: Observable<unknown>) => ({ send: jest.fn(() => reply) }) as unknown as ClientProxy;

  it('returns the reply, sending {} for a missing payload', async () => {
    const c = client(of({ ok: 1 }));
    await expect(callService(c, 'query-service', { cmd: 'x' }, undefined)).resolves.toEqual({ ok: 1 });
    expect(c.send).toHaveBeenCalledWith({ cmd: 'x' }, {});
  });

  it("turns the service's error body back into the same HTTP error", async () => {
    const body: RpcErrorBody = { statusCode: 409, error: 'Conflict', message: 'seat 1A is taken' };
    const err = await rejection(callService(client(throwError(() => body)), 'writer-service', {}, {}));
    expect(err).toBeInstanceOf(HttpException);
    expect(err.getStatus()).toBe(409);
    expect(err.getResponse()).toEqual(body);
  });

  it('a service too slow to answer is a 504 naming it', async () => {
    const err = await rejection(callService(client(NEVER), 'query-service', {}, {}, 20));
    expect(err).toBeInstanceOf(GatewayTimeoutException);
    expect(err.message).toBe('query-service did not answer within 20 ms');
  });

  it('a service that cannot be reached is a 503 naming it', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3001'), { code: 'ECONNREFUSED' });
    const err = await rejection(callService(client(throwError(() => refused)), 'query-service', {}, {}));
    expect(err).toBeInstanceOf(ServiceUnavailableException);
    expect(err.message).toBe('query-service is not reachable: connect ECONNREFUSED 127.0.0.1:3001');
  });
});
