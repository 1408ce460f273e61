import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiGatewayTimeoutResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { AskBody, AskSqlBody } from '@app/contracts';
import { AskClient } from './ask-client';

/** Plain-English questions about the data: NL -> SQL through a language model, a guard, two caches. */
@ApiTags('ask')
@ApiBadRequestResponse({ description: 'A malformed or unknown field (the message names it)' })
@Controller('api/ask')
export class AskController {
  constructor(
    private readonly ask: AskClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ask the database in plain English',
    description:
      'The question goes to the model (Ollama) with a knowledge base of the schema, unless the semantic cache holds ' +
      'the SQL of a similar question naming the same values. The SQL must pass the guard (one SELECT over the ' +
      'allowed tables and columns, parsed for the active dialect, LIMIT at most ASK_MAX_ROWS) and runs as a ' +
      'read-only database user with a statement timeout; its rows are cached under the SHA-256 of the normalised ' +
      'SQL, tagged with the tables it reads (a booking drops every cached query reading `booking`). ' +
      'meta.source: model | semantic-cache | query-cache; meta.similarity on a semantic hit.',
  })
  @ApiOkResponse({
    description: '{data: {question, sql, columns, rows}, meta: {source, similarity?, latencyMs, ...}}',
  })
  @ApiUnprocessableEntityResponse({
    description:
      'The SQL was rejected by the guard (the message says why), or ran past the statement timeout',
  })
  @ApiServiceUnavailableResponse({
    description: 'No model is reachable (OLLAMA_URL), or the read-only user is not',
  })
  @ApiGatewayTimeoutResponse({ description: 'The model did not answer within OLLAMA_TIMEOUT_MS' })
  @ApiBadGatewayResponse({ description: 'The model answered with an error' })
  question(@Body() body: AskBody) {
    return this.ask.send('ask', body, this.answerTimeoutMs());
  }

  @Post('sql')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run one SELECT through the guard and the query cache ("cache any query")',
    description:
      'The same guard, read-only user and query cache as generated SQL. meta.source: query-cache | database',
  })
  @ApiOkResponse({
    description: '{data: {sql, columns, rows}, meta: {source, latencyMs, cacheKey, tables, limit}}',
  })
  @ApiUnprocessableEntityResponse({
    description: 'Rejected by the guard (the message says why), or timed out',
  })
  sql(@Body() body: AskSqlBody) {
    return this.ask.send('sql', body, this.answerTimeoutMs());
  }

  @Get('schema')
  @ApiOperation({ summary: 'The knowledge base the model is given (built from the schema definitions)' })
  async schema() {
    return { data: await this.ask.send('schema', {}) };
  }

  @Get('status')
  @ApiOperation({ summary: 'Model, semantic-cache path (vector search or scan) and read-only user' })
  async status() {
    return { data: await this.ask.send('status', {}) };
  }

  /** Longer than the service's own bound: an embedding and a generate call, the statement, the cache lock. */
  private answerTimeoutMs(): number {
    const a = this.config.ask;
    return 2 * a.ollama.timeoutMs + a.statementTimeoutMs + this.config.cache.lockWaitMs + 5000;
  }
}
