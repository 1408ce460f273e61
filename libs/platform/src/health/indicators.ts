import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { ValkeyClient } from '@app/cache';

/** Terminus checks shared by every app: the database answers a query, Valkey answers PING. */
@Injectable()
export class DependencyHealth {
  constructor(private readonly indicator: HealthIndicatorService) {}

  async database(ds: DataSource, key = 'database') {
    const check = this.indicator.check(key);
    try {
      await withTimeout(ds.query('SELECT 1'), 2000);
      return check.up({ engine: ds.options.type });
    } catch (e) {
      return check.down({ engine: ds.options.type, message: (e as Error).message });
    }
  }

  async valkey(client: ValkeyClient, key = 'valkey') {
    const check = this.indicator.check(key);
    try {
      const pong = await withTimeout(client.ping(), 1000);
      return pong === 'PONG' ? check.up() : check.down({ message: `unexpected reply ${pong}` });
    } catch (e) {
      return check.down({ message: (e as Error).message });
    }
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
