import { INestMicroservice } from '@nestjs/common';
import { AppConfig } from '@app/platform';
import { CacheService, Tags } from '@app/cache';
import {
  BoardRow,
  LeaderboardsRepository,
} from '../../../apps/query-service/src/leaderboards/leaderboards.repository';
import { LeaderboardsService } from '../../../apps/query-service/src/leaderboards/leaderboards.service';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { rawRows } from '../seed/db-helpers';
import { startQueryService } from '../reads/read-stack';

/**
 * One board built for several requests of one query-service (they join the first one's build in process), on each
 * database engine with real Valkey: every request is answered from what that build loaded, even when the board
 * could not be stored.
 */
describe.each(TEST_ENGINES)('a leaderboard build shared inside one process (%s)', (engine) => {
  let config: AppConfig;
  let dropDb: () => Promise<void>;
  let app: INestMicroservice;
  let day: string;

  beforeAll(async () => {
    config = testConfig(engine);
    dropDb = await createSeededTestDatabase(config);
    ({ app } = await startQueryService(config));
    const [[departure]] = await rawRows(
      config.db,
      `SELECT departure FROM flight WHERE flight_id = ${SEED_FIXTURES.dashboardFlightId}`,
    );
    day = departure.slice(0, 10);
  });

  afterAll(async () => {
    await app?.close();
    await dropDb?.();
  });

  it('requests that joined a build an invalidation overtook get its figures, not an empty board', async () => {
    const service = app.get(LeaderboardsService);
    const repo = app.get(LeaderboardsRepository);
    // The real query, held after it ran: the day changes while the board is being built.
    const query = repo.board.bind(repo);
    let release!: () => void;
    let markLoaded!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loaded = new Promise<void>((r) => (markLoaded = r));
    const spy = jest.spyOn(repo, 'board').mockImplementationOnce(async (...args): Promise<BoardRow[]> => {
      const rows = await query(...args);
      markLoaded();
      await gate;
      return rows;
    });
    try {
      const answers = Promise.all(
        [1, 2, 3].map(() => service.airportLeaderboard({ date: day, by: 'departures', limit: 5 })),
      );
      await loaded;
      await app.get(CacheService).invalidateTags([Tags.airportDay(day)]); // a flight of the day moved meanwhile
      release();
      const results = await answers;
      expect(spy).toHaveBeenCalledTimes(1);
      for (const r of results) {
        expect(r.cacheKey).toBeNull(); // not stored: it may predate the change
        expect(r.value.top).toHaveLength(5);
        expect(r.value).toEqual(results[0].value);
      }
      // The next request builds the board again and stores it.
      const next = await service.airportLeaderboard({ date: day, by: 'departures', limit: 5 });
      expect(next).toMatchObject({ source: 'database', value: results[0].value });
      expect(next.cacheKey).not.toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
