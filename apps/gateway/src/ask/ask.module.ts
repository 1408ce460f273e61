import { Module } from '@nestjs/common';
import { AskClient } from './ask-client';
import { AskController } from './ask.controller';

/** POST /api/ask, POST /api/ask/sql, GET /api/ask/schema and /status (answered by the query-service). */
@Module({
  controllers: [AskController],
  providers: [AskClient],
})
export class AskRoutesModule {}
