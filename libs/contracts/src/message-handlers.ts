import { Inject, Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Operation, Operations } from './operation';

/** What a service answering a set of operations must have: one method per operation, named like it. */
export type OperationHandlers<Ops extends Operations> = {
  [N in keyof Ops]: (payload: Ops[N]['payload']) => Promise<Ops[N]['reply']> | Ops[N]['reply'];
};

/**
 * `@MessagePattern` of an operation, checked against its definition: the decorated method must accept the
 * operation's payload and answer its reply, or the handler does not compile.
 *
 *   @Handles(WRITES.cancelBooking)
 *   cancel(@Payload() p: WritePayload<'cancelBooking'>) { ... }
 */
export function Handles<P extends object, Reply>(op: Operation<P, Reply>) {
  return <M extends (payload: P) => Reply | Promise<Reply>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    MessagePattern(op.pattern)(target, key, descriptor);
  };
}

/**
 * A controller base with one message handler per operation, each passing its payload to the service method of
 * the operation's name. The service must implement OperationHandlers<Ops>, so an operation added to the
 * definitions without its method is a compile error, and no handler is written by hand:
 *
 *   @Controller()
 *   export class ReadsController extends MessageHandlers(READS, ReadsService) {}
 */
export function MessageHandlers<Ops extends Operations>(
  operations: Ops,
  service: Type<OperationHandlers<Ops>>,
): Type<object> {
  class Handlers {
    constructor(readonly service: OperationHandlers<Ops>) {}
  }
  Inject(service)(Handlers, undefined, 0);
  for (const name in operations) {
    const handler = {
      // A method (not an arrow function), so that Nest calls it on the controller instance.
      [name](this: Handlers, payload: Ops[typeof name]['payload']) {
        return this.service[name](payload);
      },
    }[name];
    Object.defineProperty(Handlers.prototype, name, { value: handler, writable: true, configurable: true });
    MessagePattern(operations[name].pattern)(
      Handlers.prototype,
      name,
      Object.getOwnPropertyDescriptor(Handlers.prototype, name)!,
    );
  }
  return Handlers;
}
