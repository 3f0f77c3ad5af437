import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@nestjs/common';

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
      if (schema !== 'public') {
        await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
        await moveTablesLeftInPublic(db, schema);
      }
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

/** What the first migration creates, and so what an earlier version left in public. */
const WAYPOINT_TABLES = ['events', 'players', 'last_positions', 'projection_checkpoints'];

/**
 * Before DATABASE_SCHEMA was honoured here, a data folder started with it got TypeORM's
 * migrations table in that schema and every other table in public: started now, it would
 * find its migrations done and its tables missing. Such a folder has its tables moved
 * into the schema, once.
 */
async function moveTablesLeftInPublic(db: PGlite, schema: string): Promise<void> {
  const { rows } = await db.query<{ leftBehind: boolean }>(
    `SELECT to_regclass('${schema}.migrations') IS NOT NULL AND to_regclass('${schema}.events') IS NULL
            AND to_regclass('public.events') IS NOT NULL AS "leftBehind"`,
  );
  if (!rows[0].leftBehind) return;
  await db.transaction(async (tx) => {
    for (const table of WAYPOINT_TABLES) await tx.exec(`ALTER TABLE IF EXISTS public.${table} SET SCHEMA ${schema}`);
    await tx.exec(`ALTER FUNCTION public.events_are_append_only() SET SCHEMA ${schema}`);
  });
  new Logger('Database').warn({ message: `moved the tables an earlier version left in public into DATABASE_SCHEMA ${schema}`, tables: WAYPOINT_TABLES });
}

/** Another live process has the embedded database's folder open. */
export class DataDirInUse extends Error {}

/** Who holds a data folder: written to DATA_DIR/waypoint.pid. */
interface Holder {
  pid: number;
  host: string;
}

/**
 * PGlite keeps no lock on its folder, and two processes writing one folder (a server and
 * a CLI command, say) would corrupt it. The first process writes its pid and host name
 * to DATA_DIR/waypoint.pid; another finds it there and stops, unless that process is
 * gone (the file is then stale, from a crash, and taken over). Returns the release.
 *
 * The file is written whole under a name of its own and then linked into place, which
 * fails if the name is taken: no process ever reads a half-written file, and of two
 * starting at once only one gets it. A holder on another host (a container sharing the
 * folder as a volume) cannot be checked, so it counts as alive. Left: two processes that
 * find the same stale file in the same few milliseconds may both take it over.
 */
export function claimDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'waypoint.pid');
  const mine: Holder = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const own = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(own, JSON.stringify(mine));
    try {
      linkSync(own, path);
      return () => releaseClaim(path, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(own);
    }
    const holder = readHolder(path);
    if (holder === 'gone') continue; // released meanwhile
    if (holder === 'unreadable' || holder.host !== mine.host || holder.pid === process.pid || isRunning(holder.pid)) {
      const who = holder === 'unreadable' ? 'another process' : `process ${holder.pid} on ${holder.host}`;
      throw new DataDirInUse(
        `The embedded database in ${dataDir} (DATA_DIR) is in use by ${who}: stop it first (a server and a CLI command cannot share the folder), or use another DATA_DIR. If no Waypoint is running, delete ${path}.`,
      );
    }
    // Stale: set aside (one process wins the rename), then claim again.
    try {
      renameSync(path, `${path}.stale`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new DataDirInUse(`Could not claim the embedded database in ${dataDir} (DATA_DIR): other processes keep taking it; try again.`);
}

function readHolder(path: string): Holder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const holder = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(holder.pid) && typeof holder.host === 'string') return holder as Holder;
  } catch {
    // Not ours, or damaged: handled below.
  }
  return 'unreadable';
}

function releaseClaim(path: string, mine: Holder): void {
  const holder = readHolder(path);
  if (holder !== 'gone' && holder !== 'unreadable' && holder.pid === mine.pid && holder.host === mine.host) unlinkSync(path);
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
