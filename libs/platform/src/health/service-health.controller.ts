import { Controller, Inject, Optional } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { CacheGuard, MemcachedEntries } from '@app/cache';
import { HEALTH_PATTERN, HealthReport } from '@app/contracts';
import { ReadReplicas } from '../database/read-replicas';
import { DependencyHealth } from './indicators';

export const SERVICE_NAME = Symbol('SERVICE_NAME');

/** A service's own checks beyond the database and Valkey (the writer's write-behind backlog), by name. */
export const SERVICE_CHECKS = Symbol('SERVICE_CHECKS');
export interface ServiceChecks {
  check(): Promise<HealthReport['details']>;
}

/** Answers the gateway's health question for a TCP service: its database and Valkey connections, and its own checks. */
@Controller()
export class ServiceHealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly ds: DataSource,
    private readonly cache: CacheGuard,
    private readonly health: DependencyHealth,
    @Optional() @Inject(SERVICE_CHECKS) private readonly own?: ServiceChecks,
    @Optional() private readonly replicas?: ReadReplicas,
    @Optional() @Inject(MemcachedEntries) private readonly memcached?: MemcachedEntries | null,
  ) {}

  @MessagePattern(HEALTH_PATTERN)
  async report(): Promise<HealthReport> {
    const details = {
      ...(await this.health.database(this.ds, 'database', this.replicas)),
      ...(await this.health.valkey(this.cache)),
      ...(await this.health.memcached(this.memcached)),
      ...(await this.own?.check()),
    } as HealthReport['details'];
    const status = Object.values(details).every((d) => d.status === 'up') ? 'up' : 'down';
    return { service: this.service, status, details };
  }
}
