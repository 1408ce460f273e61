import { Controller, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, Payload } from '@nestjs/microservices';
import {
  BadRequestException,
  ExecutionContext,
  ForbiddenException,
  UnauthorizedException,
} from '@nestjs/common';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { of } from 'rxjs';
import { IsInt, IsString } from 'class-validator';
import type { CacheResult } from '@app/cache';
import { EnvelopeClient } from './envelope-client';
import {
  Handles,
  MessageHandlers,
  OperationHandlers,
  OperationPayloadPipe,
  operationOf,
} from './message-handlers';
import { INTERNAL_TOKEN_FIELD, InternalTokenGuard } from './internal-token';
import { operation, typed } from './operation';
import { OperationClient } from './operation-client';

class DoubleRequest {
  @IsInt()
  n: number;
}

class GreetRequest {
  @IsString()
  name: string;
}

const OPS = {
  double: operation({
    pattern: { cmd: 'test.double' },
    payload: typed<DoubleRequest>(),
    request: DoubleRequest,
    reply: typed<CacheResult<number>>(),
  }),
  greet: operation({
    pattern: { cmd: 'test.greet' },
    payload: typed<GreetRequest>(),
    request: GreetRequest,
    reply: typed<CacheResult<string>>(),
  }),
};

const answer = <T>(value: T): CacheResult<T> => ({
  value,
  source: 'database',
  latencyMs: 1.23456,
  cacheKey: null,
});

@Injectable()
class TestService implements OperationHandlers<typeof OPS> {
  double({ n }: { n: number }) {
    return answer(2 * n);
  }
  async greet({ name }: { name: string }) {
    return answer(`hello ${name}`);
  }
}

@Controller()
class TestController extends MessageHandlers(OPS, TestService) {}

@Module({ controllers: [TestController], providers: [TestService] })
class TestModule {}

const patternOf = (target: object, method: string) =>
  Reflect.getMetadata(PATTERN_METADATA, (target as Record<string, object>)[method]);

describe('MessageHandlers', () => {
  it('registers one handler per operation under its pattern, answered by the service method of its name', async () => {
    const app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    const controller = app.get(TestController) as unknown as OperationHandlers<typeof OPS>;
    expect(patternOf(TestController.prototype, 'double')).toEqual([{ cmd: 'test.double' }]);
    expect(patternOf(TestController.prototype, 'greet')).toEqual([{ cmd: 'test.greet' }]);
    expect(await controller.double({ n: 21 })).toMatchObject({ value: 42 });
    expect(await controller.greet({ name: 'Ada' })).toMatchObject({ value: 'hello Ada' });
    await app.close();
  });
});

describe('Handles', () => {
  it('is the message pattern of the operation', () => {
    class Handlers {
      @Handles(OPS.greet)
      greet(@Payload() p: { name: string }) {
        return answer(p.name);
      }
    }
    expect(patternOf(Handlers.prototype, 'greet')).toEqual([{ cmd: 'test.greet' }]);
  });

  it("does not compile on a handler whose payload is not the operation's (checked by tsc)", () => {
    class Handlers {
      // @ts-expect-error greet's payload has no `n`
      @Handles(OPS.greet)
      greet(@Payload() p: { n: number }) {
        return answer(String(p.n));
      }
    }
    expect(Handlers).toBeDefined();
  });
});

describe('clients', () => {
  const proxy = (reply: unknown) => ({ send: jest.fn(() => of(reply)) });

  it("send the operation's pattern with the payload and resolve to the reply", async () => {
    const p = proxy(answer(42));
    const client = new OperationClient(p as unknown as ClientProxy, 'test-service', OPS);
    await expect(client.send('double', { n: 21 })).resolves.toMatchObject({ value: 42 });
    expect(p.send).toHaveBeenCalledWith({ cmd: 'test.double' }, { n: 21 });
  });

  it("a payload that is not the operation's, or an unknown operation, does not compile (checked by tsc)", () => {
    const client = new OperationClient(proxy(null) as unknown as ClientProxy, 'test-service', OPS);
    const calls = [
      // @ts-expect-error `n` must be a number
      () => client.send('double', { n: '21' }),
      // @ts-expect-error no such operation
      () => client.send('triple', { n: 21 }),
    ];
    expect(calls).toHaveLength(2);
  });

  it('call() answers the envelope of the HTTP contract', async () => {
    const p = proxy(answer('hello Ada'));
    const client = new EnvelopeClient<{ greet: { payload: { name: string }; result: string } }>(
      p as unknown as ClientProxy,
      'test-service',
      { greet: OPS.greet },
    );
    await expect(client.call('greet', { name: 'Ada' })).resolves.toEqual({
      data: 'hello Ada',
      meta: { source: 'database', latencyMs: 1.235, cacheKey: null },
    });
  });
});

describe('OperationPayloadPipe (what a service accepts)', () => {
  const pipe = new OperationPayloadPipe(OPS.double);
  const check = (value: unknown) => pipe.transform(value, { type: 'body' });
  const refusal = async (value: unknown) => {
    const e = await check(value).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(BadRequestException);
    return (e as BadRequestException).getResponse();
  };

  it('passes a good payload on as an instance of the request class', async () => {
    const value = await check({ n: 21 });
    expect(value).toBeInstanceOf(DoubleRequest);
    expect(value).toEqual({ n: 21 });
  });

  it('refuses a wrong type, a missing field, an unknown field, a non-object and a hostile shape with 400', async () => {
    expect(await refusal({ n: 'x' })).toMatchObject({ message: ['n must be an integer number'] });
    expect(await refusal({})).toMatchObject({ message: ['n must be an integer number'] });
    expect(await refusal({ n: 1, extra: true })).toMatchObject({
      message: ['property extra should not exist'],
    });
    expect(await refusal('n')).toMatchObject({ message: 'test.double payload must be an object' });
    expect(await refusal([{ n: 1 }])).toMatchObject({ message: 'test.double payload must be an object' });
    let deep: unknown = { n: 1 };
    for (let i = 0; i < 10_000; i++) deep = { n: deep };
    expect(await refusal(deep)).toMatchObject({
      message: expect.stringMatching(/nested more than 16 levels/),
    });
  });
});

describe('InternalTokenGuard', () => {
  const ADMIN = operation({
    pattern: { cmd: 'test.admin' },
    payload: typed<GreetRequest>(),
    request: GreetRequest,
    reply: typed<CacheResult<string>>(),
    admin: true,
  });
  class Handlers {
    @Handles(ADMIN)
    admin(@Payload() p: GreetRequest) {
      return answer(p.name);
    }

    @Handles(OPS.greet)
    greet(@Payload() p: GreetRequest) {
      return answer(p.name);
    }
  }
  const context = (handler: object, data: unknown) =>
    ({
      getType: () => 'rpc',
      getHandler: () => handler,
      switchToRpc: () => ({ getData: () => data }),
    }) as unknown as ExecutionContext;
  const guard = new InternalTokenGuard('s3cret-s3cret-s3cret');

  it('knows the operation of each handler', () => {
    expect(operationOf(Handlers.prototype.admin)).toBe(ADMIN);
    expect(operationOf(Handlers.prototype.greet)).toBe(OPS.greet);
  });

  it('lets other operations through untouched', () => {
    expect(guard.canActivate(context(Handlers.prototype.greet, { name: 'Ada' }))).toBe(true);
  });

  it('admin operations: 401 without the token, 403 with a wrong one, through (token removed) with the right one', () => {
    expect(() => guard.canActivate(context(Handlers.prototype.admin, { name: 'Ada' }))).toThrow(
      UnauthorizedException,
    );
    expect(() =>
      guard.canActivate(context(Handlers.prototype.admin, { name: 'Ada', [INTERNAL_TOKEN_FIELD]: 'guess' })),
    ).toThrow(ForbiddenException);
    const data = { name: 'Ada', [INTERNAL_TOKEN_FIELD]: 's3cret-s3cret-s3cret' };
    expect(guard.canActivate(context(Handlers.prototype.admin, data))).toBe(true);
    expect(data).toEqual({ name: 'Ada' });
  });

  it('a service without a token of its own refuses every admin message', () => {
    const open = new InternalTokenGuard('');
    expect(() =>
      open.canActivate(context(Handlers.prototype.admin, { name: 'Ada', [INTERNAL_TOKEN_FIELD]: '' })),
    ).toThrow(UnauthorizedException);
    expect(() =>
      open.canActivate(context(Handlers.prototype.admin, { name: 'Ada', [INTERNAL_TOKEN_FIELD]: 'x' })),
    ).toThrow(ForbiddenException);
  });
});
