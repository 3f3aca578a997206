import path from 'node:path';
import type { Config } from '../config.js';
import { openPglite, openPostgres, type Db } from './adapter.js';
import { lockDataDir } from './lock.js';

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR. */
export async function openDatabase(config: Config): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres({
      url: config.databaseUrl,
      poolSize: config.pgPoolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      pooler: config.database.pooler,
      listenUrl: config.database.listenUrl,
    });
  }
  const lock = lockDataDir(config.dataDir);
  try {
    const db = await openPglite(path.join(config.dataDir, 'pgdata'));
    const close = db.close.bind(db);
    return {
      ...db,
      engine: db.engine,
      query: db.query.bind(db),
      exec: db.exec.bind(db),
      transaction: db.transaction.bind(db),
      listen: db.listen.bind(db),
      async close() {
        await close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
