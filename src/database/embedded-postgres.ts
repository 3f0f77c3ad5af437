import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * The zero-setup database: PGlite (PostgreSQL compiled to WASM) served over the
 * PostgreSQL wire protocol on a loopback port, so `pg` and TypeORM talk to it
 * exactly as to a real server. PGlite runs one query at a time; the socket
 * server multiplexes our pool's connections onto it.
 *
 * `schema` (DATABASE_SCHEMA, already checked to be a plain identifier) becomes the
 * search_path here, on the one session PGlite runs: the socket server ignores the
 * `-c search_path=…` startup option that every connection to a real PostgreSQL carries
 * (see data-source.ts), so without this the tables landed in `public` whatever the setting.
 */
export async function startEmbeddedPostgres(dataDir: string, schema: string, maxConnections = 20): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  if (schema !== 'public') await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  // getServerConn() answers "host:port" once listening.
  const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
