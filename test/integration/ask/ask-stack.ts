import { DataSource } from 'typeorm';
import { AppConfig, DbEngine, createDataSource } from '@app/platform';
import { testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import {
  OllamaStandInHandle,
  startOllamaStandIn,
} from '../../../apps/query-service/src/ask/stand-in/ollama-stand-in';
import { WriteStack, startWriteStack } from '../writes/write-stack';

/**
 * The ask path end to end: a stand-in Ollama on an ephemeral port, a seeded database, and the write stack
 * (gateway from dist/, query-service, writer-service, cache-warmer), so that a booking invalidates cached queries
 * the way it does in production. The read-only user gets a name of the suite's own (dropped afterwards).
 */
export interface AskStack {
  config: AppConfig;
  ollama: OllamaStandInHandle;
  stack: WriteStack;
  /** A privileged connection to the suite's database (counts, table lists). */
  ds: DataSource;
  close(): Promise<void>;
}

export async function startAskStack(engine: DbEngine, env: NodeJS.ProcessEnv = {}): Promise<AskStack> {
  const ollama = await startOllamaStandIn({ port: 0 });
  const names = testConfig(engine, {});
  // A user of the suite's own: roles are server-wide, and suites run side by side.
  const user = `${names.db.name}_ro`.slice(0, 60);
  const config = testConfig(engine, {
    DB_NAME: names.db.name,
    CACHE_KEY_PREFIX: names.cache.keyPrefix,
    OLLAMA_URL: `${ollama.url}/api/generate`,
    OLLAMA_TIMEOUT_MS: '2000',
    ASK_SEMANTIC_MAX_ENTRIES: '40',
    ASK_DB_USER: user,
    ASK_STATEMENT_TIMEOUT_MS: '1000',
    WRITE_BEHIND_BLOCK_MS: '50',
    WARM_EVERY_MS: '600000',
    ...env,
  });
  const dropDb = await createSeededTestDatabase(config).catch(async (e) => {
    await ollama.close();
    throw e;
  });
  let stack: WriteStack;
  try {
    stack = await startWriteStack(config);
  } catch (e) {
    await ollama.close();
    await dropDb();
    throw e;
  }
  return {
    config: stack.config,
    ollama,
    stack,
    ds: stack.ds,
    close: async () => {
      await stack.close();
      await ollama.close();
      await dropDb();
      await dropReadOnlyUser(config);
    },
  };
}

/** Drops the suite's read-only user (after its database: PostgreSQL refuses while it holds grants there). */
export async function dropReadOnlyUser(config: AppConfig): Promise<void> {
  await asServerAdmin(config, async (admin) => {
    if (config.db.engine === 'postgres') await admin.query(`DROP ROLE IF EXISTS "${config.ask.dbUser}"`);
    else await admin.query(`DROP USER IF EXISTS '${config.ask.dbUser}'@'%'`);
  });
}

/** Whether a role or user of this name exists on the server. */
export async function userExists(config: AppConfig): Promise<boolean> {
  return asServerAdmin(config, async (admin) => {
    const rows =
      config.db.engine === 'postgres'
        ? await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [config.ask.dbUser])
        : await admin.query('SELECT 1 FROM mysql.user WHERE user = ?', [config.ask.dbUser]);
    return rows.length > 0;
  });
}

/** Runs `work` on a one-connection, server-wide admin data source (no database of the suite's), then closes it. */
async function asServerAdmin<T>(config: AppConfig, work: (admin: DataSource) => Promise<T>): Promise<T> {
  const admin = createDataSource(
    { ...config.db, name: config.db.engine === 'postgres' ? 'postgres' : '', poolSize: 1 },
    {
      migrations: [],
    } as never,
  );
  await admin.initialize();
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}
