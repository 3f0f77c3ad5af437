import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createLogger } from '../../src/common/logger';
import { RunningWaypoint, startWaypoint } from '../../src/bootstrap';
import { loadSettings, Settings } from '../../src/config/settings';
import type { Socket as ServerSocket } from 'socket.io';
import { SocketServerRef } from '../../src/world/socket-server.ref';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';

/**
 * Tests run against DATABASE_URL when it is set (CI: the machine's PostgreSQL), each
 * server in a schema of its own so test files never see each other's rows. Without it
 * each server runs on the embedded PostgreSQL in its own data folder, exactly as
 * `npm start` does (PGlite has one session, so schemas cannot isolate there).
 */
/**
 * For suites that need what only a real PostgreSQL has (several sessions at once, a
 * connection that can be cut, several nodes): skipped, and shown as skipped, on the
 * embedded database.
 */
export const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;
/** The same for one test of a suite that otherwise runs on both databases. */
export const itOnPostgres = process.env.DATABASE_URL ? it : it.skip;
/** A test of the embedded database alone, skipped (and shown as skipped) on PostgreSQL. */
export const itOnEmbedded = process.env.DATABASE_URL ? it.skip : it;

export function freshSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export async function testEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const database: Record<string, string> = process.env.DATABASE_URL
    ? { DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: freshSchema() }
    : {};
  return {
    ...database,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-test-')),
    HOST: '127.0.0.1',
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'warn',
    // Cheap hashes: tests register many players; the default costs are for production.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_TIME_COST: '1',
    // Suites log many players in from one address; the throttle has tests of its own.
    AUTH_THROTTLE_PER_ADDRESS: '0',
    ...overrides,
  };
}

export interface TestServer {
  url: string;
  settings: Settings;
  dataSource: DataSource;
  running: RunningWaypoint;
  /** A new server on the same database, as after a restart (this one is closed first). */
  restart(overrides?: Record<string, string>): Promise<TestServer>;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, string> = {}, env?: Record<string, string>): Promise<TestServer> {
  const fullEnv = env ?? (await testEnv(overrides));
  const settings = loadSettings(fullEnv);
  Logger.overrideLogger(createLogger(settings));
  const running = await startWaypoint(settings);
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    await running.close();
  };
  return {
    url: running.url,
    settings,
    dataSource: running.database.dataSource,
    running,
    async close() {
      await stop();
      if (fullEnv.DATABASE_URL) await dropSchema(fullEnv.DATABASE_URL, settings.databaseSchema);
      if (settings.redisUrl) await forgetPlayerNumbers(settings.redisUrl, settings.databaseSchema);
    },
    async restart(more = {}) {
      await stop();
      return startTestServer({}, { ...fullEnv, ...more });
    },
  };
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
}
/** Removes the player numbers a clustered test world kept in Redis (PlayerNumbers). */
async function forgetPlayerNumbers(url: string, schema: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const keys = await redis.keys(`waypoint:${schema}:player-numbers:*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch {
    // A test that stopped its own Redis: nothing left to clean.
  } finally {
    redis.disconnect();
  }
}

/** Rows of the events table, for assertions that nothing was written. */
export async function countEvents(dataSource: DataSource, type?: string): Promise<number> {
  const [{ n }] = await dataSource.query(
    type ? `SELECT count(*)::int AS n FROM events WHERE type = $1` : `SELECT count(*)::int AS n FROM events`,
    type ? [type] : [],
  );
  return n;
}

/**
 * Resolves once the player's `times`-th disconnect is recorded (the last step of handling
 * a closed connection), so that a reconnect is not taken for a takeover of a session the
 * server has not seen close yet. Throws after 10 s.
 */
export async function untilDisconnectRecorded(dataSource: DataSource, playerId: string, times = 1): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND type = 'PlayerDisconnected'`, [
      `player-${playerId}`,
    ]);
    if (n >= times) return;
    if (Date.now() > deadline) throw new Error(`disconnect ${times} of player ${playerId} not recorded within 10 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The server's side of a player's live Socket.IO connection on this node, if any. */
export function serverSocketOf(server: TestServer, playerId: string): ServerSocket | undefined {
  return [...server.running.app.get(SocketServerRef).server!.sockets.sockets.values()].find((s) => s.data.player?.id === playerId);
}
