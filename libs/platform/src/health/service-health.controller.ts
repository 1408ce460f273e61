import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { CacheGuard } from '@app/cache';
import { HEALTH_PATTERN, HealthReport } from '@app/contracts';
import { DependencyHealth } from './indicators';

export const SERVICE_NAME = Symbol('SERVICE_NAME');

/** Answers the gateway's health question for a TCP service: its database and Valkey connections. */
@Controller()
export class ServiceHealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly ds: DataSource,
    private readonly cache: CacheGuard,
    private readonly health: DependencyHealth,
  ) {}

  @MessagePattern(HEALTH_PATTERN)
  async report(): Promise<HealthReport> {
    const details = {
      ...(await this.health.database(this.ds)),
      ...(await this.health.valkey(this.cache)),
    } as HealthReport['details'];
    const status = Object.values(details).every((d) => d.status === 'up') ? 'up' : 'down';
    return { service: this.service, status, details };
  }
}
