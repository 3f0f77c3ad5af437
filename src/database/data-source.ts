import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { BoundedClient } from './bounded-client';

export interface DatabaseTarget {
  url: string;
  schema: string;
  /** Connections in the pool. */
  poolSize?: number;
  /** The in-process PostgreSQL (PGlite): one session, one node. */
  embedded?: boolean;
  /** PostgreSQL ends a session left idle inside a transaction this long (0 = never); not on the embedded database. */
  idleInTransactionTimeoutMs?: number;
  /** Opening a connection gives up after this long (0 = never). */
  connectTimeoutMs?: number;
  /** Every query's deadline; a connection whose query passes it is closed (see BoundedClient). 0 = none. */
  queryTimeoutMs?: number;
}

/**
 * Settings of every pooled session. The idle-in-transaction timeout frees what a node
 * that froze or lost its link leaves open inside a transaction (an appending lock, which
 * replays at the live edge wait for), within seconds rather than when TCP keepalive
 * notices, hours later.
 */
function sessionOptions(target: DatabaseTarget): string {
  const options = [`-c search_path=${target.schema}`];
  if (!target.embedded && target.idleInTransactionTimeoutMs !== undefined) {
    options.push(`-c idle_in_transaction_session_timeout=${target.idleInTransactionTimeoutMs}`);
  }
  return options.join(' ');
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
      options: sessionOptions(target),
      application_name: 'waypoint',
      Client: BoundedClient,
      connectionTimeoutMillis: target.connectTimeoutMs ?? 0,
      query_timeout: target.queryTimeoutMs || undefined,
      // Keepalive finds a peer that vanished (a host that crashed) on an idle connection;
      // a silent peer that still acknowledges TCP is found by the query deadline instead.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
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
  return oneNodeAtATime(target, async () => {
    await ensureSchema(target);
    const dataSource = createDataSource(target);
    await dataSource.initialize();
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return { dataSource, ran: ran.map((m) => m.name) };
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
  });
}

/**
 * Nodes started together against a new database would create the schema and run the
 * same migrations at once, and all but one would fail on the catalog's unique indexes
 * (`CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE` are not safe against each other).
 * They take turns under a session advisory lock, one per schema, held on a connection
 * of its own and released by closing it; a node that waited finds the work done. The
 * embedded database serves one node through one session, and needs no turns.
 */
async function oneNodeAtATime<T>(target: DatabaseTarget, work: () => Promise<T>): Promise<T> {
  if (target.embedded) return work();
  const lock = new Client({ connectionString: target.url, application_name: 'waypoint-migrations' });
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('waypoint:migrations'), hashtext($1))`, [target.schema]);
    return await work();
  } finally {
    await lock.end();
  }
}
