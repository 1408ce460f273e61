import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { CACHE_CLIENT } from '@app/cache';
import { ValkeyClient } from '@app/cache';
import { HEALTH_PATTERN, HealthReport } from '@app/contracts';
import { DependencyHealth } from './indicators';

export const SERVICE_NAME = Symbol('SERVICE_NAME');

/** Answers the gateway's health question for a TCP service: its database and Valkey connections. */
@Controller()
export class ServiceHealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly ds: DataSource,
    @Inject(CACHE_CLIENT) private readonly cache: ValkeyClient,
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
