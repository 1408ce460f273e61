import { Global, Injectable, Module } from '@nestjs/common';
import type { HealthReport } from '@app/contracts';
import type { ServiceChecks } from '@app/platform';
import { AskController } from './ask.controller';
import { AskService } from './ask.service';
import { OllamaClient } from './ollama.client';
import { ReadOnlyDatabase } from './read-only-database';
import { SemanticCache } from './semantic-cache';

/**
 * The ask path's line in the query-service's health report (GET /health): which semantic-cache path was chosen at
 * start-up, the model, and the read-only user. Always "up": asking is optional, the reads do not depend on it.
 */
@Injectable()
export class AskHealth implements ServiceChecks {
  constructor(private readonly ask: AskService) {}

  async check(): Promise<HealthReport['details']> {
    const s = this.ask.status();
    return {
      ask: {
        status: 'up',
        ...(s.readOnlyUser.state === 'failed' ? { state: 'degraded', message: s.readOnlyUser.reason } : {}),
        semanticIndex: s.semanticIndex,
        model: `${s.model.name} at ${s.model.url}`,
        ...(s.model.lastError ? { modelError: s.model.lastError } : {}),
        readOnlyUser: `${s.readOnlyUser.name} (${s.readOnlyUser.state})`,
      },
    };
  }
}

/** NL -> SQL in the query-service (global: its health line is read by the core module's health controller). */
@Global()
@Module({
  controllers: [AskController],
  providers: [AskService, OllamaClient, ReadOnlyDatabase, SemanticCache, AskHealth],
  exports: [AskService, AskHealth],
})
export class AskModule {}
