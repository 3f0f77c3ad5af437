import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Settings } from '../config/settings';
import { openDatabase } from './data-source';
import { databaseCapabilities } from './database-capabilities';
import { DatabaseConnection } from './database-connection';

/**
 * Where a running process serves the embedded database of a data folder: written to
 * DATA_DIR/embedded-postgres.json while it runs, so that a CLI command can use that
 * database over its socket instead of opening the folder, which one process at a time
 * may hold (waypoint.pid).
 */
interface PublishedAddress {
  pid: number;
  host: string;
  url: string;
}

const FILE = 'embedded-postgres.json';

/** Writes the address (whole, then renamed into place); returns the removal, for the stop. */
export function publishEmbeddedAddress(dataDir: string, url: string): () => void {
  const path = join(dataDir, FILE);
  const mine: PublishedAddress = { pid: process.pid, host: hostname(), url };
  const own = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(own, JSON.stringify(mine), { mode: 0o600 });
  renameSync(own, path);
  return () => {
    if (readAddress(path)?.pid !== mine.pid) return;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
}

function readAddress(path: string): PublishedAddress | null {
  try {
    const address = JSON.parse(readFileSync(path, 'utf8')) as Partial<PublishedAddress>;
    if (Number.isInteger(address.pid) && typeof address.host === 'string' && typeof address.url === 'string') return address as PublishedAddress;
  } catch {
    // Missing, half-written by a crashed process, or not ours.
  }
  return null;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The URL of the embedded database a live process on this machine serves for
 * `dataDir`, or null: none was published, or its process is gone (a crash leaves the
 * file behind) or on another host (a shared volume: its loopback port is not ours).
 */
export function findRunningEmbedded(dataDir: string): string | null {
  const address = readAddress(join(dataDir, FILE));
  if (!address || address.host !== hostname() || address.pid === process.pid || !isRunning(address.pid)) return null;
  return address.url;
}

/**
 * A connection to the embedded database another process serves: one more client of its
 * socket server, which runs the queries of all its clients in turn on the one PGlite
 * session and keeps a transaction's statements together. Closing it leaves that
 * process's database running.
 */
export async function attachToRunningEmbedded(url: string, settings: Settings): Promise<DatabaseConnection> {
  const { dataSource } = await openDatabase({
    url,
    schema: settings.databaseSchema,
    poolSize: 1,
    embedded: true,
    connectTimeoutMs: settings.database.connectTimeoutMs,
    queryTimeoutMs: settings.database.queryTimeoutMs,
  });
  return {
    dataSource,
    // One session shared with the server: no prepared statements of ours in its namespace.
    capabilities: databaseCapabilities(true),
    async close() {
      await dataSource.destroy();
    },
  };
}
