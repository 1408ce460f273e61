import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { CacheService, CacheUnavailableError } from '@app/cache';

/** DELETE /api/cache: removes this project's cached entries (never the state of record, queues or statistics). */
@Injectable()
export class CachePurgeService {
  constructor(private readonly cache: CacheService) {}

  async purge(): Promise<{ deleted: number }> {
    try {
      return { deleted: await this.cache.purgeCachedEntries() };
    } catch (e) {
      if (e instanceof CacheUnavailableError)
        throw new ServiceUnavailableException('The cache is unreachable: nothing was deleted');
      throw e;
    }
  }
}
