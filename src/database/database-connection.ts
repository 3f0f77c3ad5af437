import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Settings } from '../config/settings';
import { openDatabase } from './data-source';
import { DatabaseCapabilities, databaseCapabilities } from './database-capabilities';
import { publishEmbeddedAddress } from './embedded-address';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseConnection {
  dataSource: DataSource;
  /** What the database can do; every choice that depends on it reads this. */
  capabilities: DatabaseCapabilities;
  close(): Promise<void>;
}

/** DATABASE_URL when set, else the embedded PostgreSQL in DATA_DIR; migrated either way. */
export async function connectDatabase(settings: Settings, logger = new Logger('Database')): Promise<DatabaseConnection> {
  let url = settings.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    logger.log({ message: 'no DATABASE_URL: starting the embedded PostgreSQL (PGlite)', dataDir: settings.dataDir });
    const embedded = await startEmbeddedPostgres(settings.dataDir, settings.databaseSchema);
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  try {
    // PGlite runs one session for all connections, and two connections' extended-protocol
    // messages interleaving there lose each other's portals ("portal does not exist"):
    // on the embedded database every query goes through one connection, in turn.
    const poolSize = stopEmbedded ? 1 : 10;
    const { dataSource, ran } = await openDatabase({
      url,
      schema: settings.databaseSchema,
      poolSize,
      embedded: stopEmbedded !== null,
      idleInTransactionTimeoutMs: settings.databaseIdleTransactionTimeoutMs,
      connectTimeoutMs: settings.database.connectTimeoutMs,
      queryTimeoutMs: settings.database.queryTimeoutMs,
    });
    for (const name of ran) logger.log({ message: 'migration applied', migration: name });
    // Published once migrated, so a CLI command never races the server's migrations.
    const unpublish = stopEmbedded ? publishEmbeddedAddress(settings.dataDir, url) : () => undefined;
    return {
      dataSource,
      capabilities: databaseCapabilities(stopEmbedded !== null),
      async close() {
        unpublish();
        await dataSource.destroy();
        await stopEmbedded?.();
      },
    };
  } catch (error) {
    await stopEmbedded?.();
    throw error;
  }
}
