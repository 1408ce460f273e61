import { Controller, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, Payload } from '@nestjs/microservices';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { of } from 'rxjs';
import type { CacheResult } from '@app/cache';
import { EnvelopeClient } from './envelope-client';
import { Handles, MessageHandlers, OperationHandlers } from './message-handlers';
import { operation, typed } from './operation';
import { OperationClient } from './operation-client';

const OPS = {
  double: operation({
    pattern: { cmd: 'test.double' },
    payload: typed<{ n: number }>(),
    reply: typed<CacheResult<number>>(),
  }),
  greet: operation({
    pattern: { cmd: 'test.greet' },
    payload: typed<{ name: string }>(),
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
