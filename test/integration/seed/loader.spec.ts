import { AppConfig } from '@app/platform';
import { FlughafenGenerator, TableSource } from '../../../tools/seed/generator';
import { createBulkLoader } from '../../../tools/seed/bulk-loader';
import { TEST_ENGINES, createTestDatabase, testConfig } from '../../support/test-env';
import { schemaFingerprint } from '../schema/schema-helpers';
import { scalar } from './db-helpers';

/** A table source whose generator breaks after `okRows` rows, like a bug or a crash mid-load. */
function failingAfter(source: TableSource, okRows: number): TableSource {
  return {
    ...source,
    *lines() {
      let n = 0;
      for (const line of source.lines()) {
        if (n++ === okRows) throw new Error('generator broke');
        yield line;
      }
    },
  };
}

describe.each(TEST_ENGINES)('bulk loader on %s', (engine) => {
  let config: AppConfig;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    config = testConfig(engine);
    cleanup = await createTestDatabase(config);
  });
  afterEach(() => cleanup());

  it('puts every shed index and key back when a load fails midway', async () => {
    const before = await schemaFingerprint(config.db);
    const sources = new FlughafenGenerator('tiny', 1, new Date('2025-06-01T00:00:00Z')).tables();
    const loader = createBulkLoader(config.db);
    await loader.open(sources.map((s) => s.table));
    try {
      for (const source of sources.slice(0, 7)) await loader.load(source, () => undefined); // up to flight
      const booking = sources.find((s) => s.table === 'booking')!;
      await expect(loader.load(failingAfter(booking, 100), () => undefined)).rejects.toThrow();
    } finally {
      await loader.close();
    }
    expect(await schemaFingerprint(config.db)).toEqual(before);
    if (engine === 'postgres') {
      // One transaction: nothing of the failed load stays behind.
      expect(await scalar(config.db, 'SELECT COUNT(*) FROM flight')).toBe(0);
    }
  });
});
