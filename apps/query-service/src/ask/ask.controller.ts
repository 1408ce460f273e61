import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ASK, Handles, PayloadOf } from '@app/contracts';
import { AskService } from './ask.service';

/** The ask messages of the query-service (ASK in libs/contracts). */
@Controller()
export class AskController {
  constructor(private readonly ask: AskService) {}

  @Handles(ASK.ask)
  question(@Payload() p: PayloadOf<typeof ASK.ask>) {
    return this.ask.ask(p);
  }

  @Handles(ASK.sql)
  sql(@Payload() p: PayloadOf<typeof ASK.sql>) {
    return this.ask.sql(p);
  }

  @Handles(ASK.schema)
  schema() {
    return this.ask.schema();
  }

  @Handles(ASK.status)
  status() {
    return this.ask.status();
  }
}
