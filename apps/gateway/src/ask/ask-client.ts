import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { ASK, OperationClient, SERVICES } from '@app/contracts';

/** The ask calls of the gateway's routes, answered by the query-service. */
@Injectable()
export class AskClient extends OperationClient<typeof ASK> {
  constructor(@Inject(SERVICES.query) proxy: ClientProxy) {
    super(proxy, 'query-service', ASK);
  }
}
