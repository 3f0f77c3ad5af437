import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
  const releaseDataDir = claimDataDir(dataDir);
  try {
    const db = await PGlite.create(dir);
    try {
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
          releaseDataDir();
        },
      };
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  } catch (error) {
    releaseDataDir();
    throw error;
  }
}

/** Another live process has the embedded database's folder open. */
export class DataDirInUse extends Error {}

/**
 * PGlite keeps no lock on its folder, and two processes writing one folder (a server and
 * a CLI command, say) would corrupt it. The first process writes its pid to
 * DATA_DIR/waypoint.pid; another finds it there and stops, unless that process is gone
 * (the file is then stale, from a crash, and taken over). Returns the release.
 */
function claimDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'waypoint.pid');
  const mine = String(process.pid);
  try {
    writeFileSync(path, mine, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new DataDirInUse(
        `The embedded database in ${dataDir} (DATA_DIR) is in use by process ${holder}: stop it first (a server and a CLI command cannot share the folder), or use another DATA_DIR. If no Waypoint is running, delete ${path}.`,
      );
    }
    writeFileSync(path, mine);
  }
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === mine) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
