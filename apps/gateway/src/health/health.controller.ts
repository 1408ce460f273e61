import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientProxy } from '@nestjs/microservices';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { CacheGuard, MemcachedEntries } from '@app/cache';
import { DependencyHealth } from '@app/platform';
import { HEALTH_PATTERN, HealthReport, SERVICES, ServiceName, callService } from '@app/contracts';

/**
 * GET /health: Valkey as the gateway sees it, the database as query-service sees it (the gateway holds no
 * database connection), and every downstream service. 503 when anything is down.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  private readonly clients: Record<ServiceName, ClientProxy>;

  constructor(
    private readonly health: HealthCheckService,
    private readonly deps: DependencyHealth,
    private readonly indicator: HealthIndicatorService,
    private readonly cache: CacheGuard,
    @Inject(SERVICES.query) query: ClientProxy,
    @Inject(SERVICES.writer) writer: ClientProxy,
    @Inject(SERVICES.weather) weather: ClientProxy,
    @Inject(SERVICES.warmer) warmer: ClientProxy,
    @Optional() @Inject(MemcachedEntries) private readonly memcached?: MemcachedEntries | null,
  ) {
    this.clients = { query: query, writer, weather, warmer };
  }

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Database, Valkey and every downstream service; 503 when something required is down',
  })
  check() {
    const serviceCheck = (name: ServiceName, key: string) => async () => {
      const session = this.indicator.check(key);
      try {
        const report = await callService<HealthReport>(this.clients[name], key, HEALTH_PATTERN, {}, 2000);
        return report.status === 'up' ? session.up(report.details) : session.down(report.details);
      } catch (e) {
        return session.down({ message: (e as Error).message });
      }
    };
    const databaseViaQueryService = async () => {
      const session = this.indicator.check('database');
      try {
        const report = await callService<HealthReport>(
          this.clients.query,
          'query-service',
          HEALTH_PATTERN,
          {},
          2000,
        );
        const { status, ...db } = report.details.database ?? { status: 'down', message: 'not reported' };
        return status === 'up' ? session.up(db) : session.down(db);
      } catch (e) {
        return session.down({ message: `unknown: ${(e as Error).message}` });
      }
    };
    return this.health.check([
      databaseViaQueryService,
      () => this.deps.valkey(this.cache),
      ...(this.memcached ? [() => this.deps.memcached(this.memcached)] : []),
      serviceCheck('query', 'query-service'),
      serviceCheck('writer', 'writer-service'),
      serviceCheck('weather', 'weather-service'),
      serviceCheck('warmer', 'cache-warmer'),
    ]);
  }
}
