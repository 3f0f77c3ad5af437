import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

export interface DatabaseTarget {
  url: string;
  schema: string;
  /** Connections in the pool. */
  poolSize?: number;
}

/**
 * One TypeORM data source for the app, the CLI and the tests. Every
 * connection's search_path is the configured schema, so SQL stays unqualified.
 */
export function createDataSource(target: DatabaseTarget): DataSource {
  return new DataSource({
    type: 'postgres',
    url: target.url,
    schema: target.schema,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    extra: {
      max: target.poolSize ?? 10,
      options: `-c search_path=${target.schema}`,
      application_name: 'waypoint',
    },
  });
}

/**
 * node-postgres' pool under a TypeORM data source (null before it is initialised): for
 * the few hot queries where a query runner per call and TypeORM's result wrapping show
 * in a profile, or that need a named prepared statement.
 */
export function driverPool(dataSource: DataSource): Pool | null {
  return (dataSource.driver as unknown as { master?: Pool }).master ?? null;
}

export async function ensureSchema(target: DatabaseTarget): Promise<void> {
  if (target.schema === 'public') return;
  const client = new Client({ connectionString: target.url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
  } finally {
    await client.end();
  }
}

/** Opens the data source and brings the schema up to date; returns the migrations it ran. */
export async function openDatabase(target: DatabaseTarget): Promise<{ dataSource: DataSource; ran: string[] }> {
  await ensureSchema(target);
  const dataSource = createDataSource(target);
  await dataSource.initialize();
  const ran = await dataSource.runMigrations({ transaction: 'each' });
  return { dataSource, ran: ran.map((m) => m.name) };
}
