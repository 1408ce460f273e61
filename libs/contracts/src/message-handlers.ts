import {
  ArgumentMetadata,
  BadRequestException,
  Inject,
  Injectable,
  PipeTransform,
  SetMetadata,
  Type,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Operation, Operations } from './operation';
import { shapeProblem } from './payload-limits';

/** Metadata of a message handler: the operation it answers (read by the internal-token guard). */
export const OPERATION_METADATA = 'cmiyc:operation';

/** The operation a message handler answers, if it was declared with Handles or MessageHandlers. */
export function operationOf(handler: object): Operation | undefined {
  return Reflect.getMetadata(OPERATION_METADATA, handler);
}

/**
 * A service's own check of a message's payload, before its handler runs: the shape limits (depth, keys), then the
 * class-validator rules of the operation's request class, as the gateway applies them to HTTP input (unknown
 * fields refused, values converted). A bad payload is a 400 naming what is wrong; the handler never sees it.
 */
@Injectable()
export class OperationPayloadPipe implements PipeTransform {
  private readonly validation: ValidationPipe;

  constructor(private readonly operation: Operation) {
    this.validation = new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      expectedType: operation.request,
    });
  }

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const problem = shapeProblem(value, undefined, `${this.operation.pattern.cmd} payload`);
    if (problem) throw new BadRequestException(problem);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new BadRequestException(`${this.operation.pattern.cmd} payload must be an object`);
    return this.validation.transform(value, { ...metadata, type: 'body' });
  }
}

/** What both declarations put on a handler: its pattern, its operation, the validation of its payload. */
function answer(op: Operation, target: object, key: string | symbol, descriptor: PropertyDescriptor): void {
  SetMetadata(OPERATION_METADATA, op)(target, key, descriptor);
  UsePipes(new OperationPayloadPipe(op))(target, key, descriptor);
  MessagePattern(op.pattern)(target, key, descriptor);
}

/** What a service answering a set of operations must have: one method per operation, named like it. */
export type OperationHandlers<Ops extends Operations> = {
  [N in keyof Ops]: (payload: Ops[N]['payload']) => Promise<Ops[N]['reply']> | Ops[N]['reply'];
};

/**
 * `@MessagePattern` of an operation, checked against its definition: the decorated method must accept the
 * operation's payload and answer its reply, or the handler does not compile. The `@Payload()` parameter is
 * validated against the operation's request class (OperationPayloadPipe) before the method runs.
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
    answer(op, target, key, descriptor);
  };
}

/**
 * A controller base with one message handler per operation, each passing its payload to the service method of
 * the operation's name once it has passed the operation's validation (OperationPayloadPipe). The service must
 * implement OperationHandlers<Ops>, so an operation added to the definitions without its method is a compile
 * error, and no handler is written by hand:
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
    Payload()(Handlers.prototype, name, 0);
    answer(
      operations[name],
      Handlers.prototype,
      name,
      Object.getOwnPropertyDescriptor(Handlers.prototype, name)!,
    );
  }
  return Handlers;
}
