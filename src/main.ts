import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createServer } from 'node:net';
import { startWaypoint } from './bootstrap';
import { RedisUnreachable } from './common/cluster-redis';
import { createLogger, writesJson } from './common/logger';
import { describeDatabase, startBanner } from './common/start-banner';
import { loadSettings, Settings, SettingsError } from './config/settings';
import { DataDirInUse } from './database/embedded-postgres';

/** One line a person can act on, when the server cannot listen where it was told to. */
function listenFailure(error: unknown, settings: Settings): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const where = `${settings.host}:${settings.port}`;
  if (code === 'EADDRINUSE') return `Port ${settings.port} on ${settings.host} is already in use: stop the other server or choose another port with --port or PORT.`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EINVAL') {
    return `Cannot listen on ${where}: "${settings.host}" is not an address of this machine; use --host 127.0.0.1 (or 0.0.0.0 for all interfaces).`;
  }
  if (code === 'EACCES') return `Not allowed to listen on ${where}: ports below 1024 need privileges; choose another with --port.`;
  return `Cannot listen on ${where}: ${(error as Error)?.message ?? String(error)}`;
}

/**
 * An error's message. Node.js reports a host name with several addresses (localhost:
 * ::1 and 127.0.0.1) that all refused as an AggregateError with an empty message, its
 * reasons inside.
 */
function describe(error: unknown): string {
  const reasons = (error as { errors?: unknown }).errors;
  if (Array.isArray(reasons) && reasons.length > 0) return reasons.map((reason) => (reason as Error)?.message ?? String(reason)).join('; ');
  return (error as Error)?.message || (error as NodeJS.ErrnoException)?.code || String(error);
}

/** Network failures of a client connection: the database was not reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** One line a person can act on, for the failures of starting once the port is known to be free. */
function startFailure(error: unknown, settings: Settings): string {
  if (error instanceof RedisUnreachable || error instanceof DataDirInUse) return error.message;
  // The port was free a moment ago, and taken by the time the server listened.
  if ((error as NodeJS.ErrnoException)?.syscall === 'listen') return listenFailure(error, settings);
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = describe(error);
  if (settings.databaseUrl && code !== undefined) {
    if (UNREACHABLE.has(code)) return `Cannot reach the database at DATABASE_URL (${message}); start PostgreSQL, correct the URL, or unset DATABASE_URL to use the embedded one.`;
    // PostgreSQL's own refusals: bad password or role (28…), no such database (3D000).
    if (code.startsWith('28') || code === '3D000') return `The database at DATABASE_URL refused the connection (${message}); correct the user, password or database name in the URL.`;
  }
  return `Waypoint could not start: ${message}`;
}

function assertCanListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`${error.message}. See the settings table in docs/operating.md.`);
      process.exit(2);
    }
    throw error;
  }
  Logger.overrideLogger(createLogger(settings));
  const logger = new Logger('Waypoint');
  if (settings.jwt.generated) {
    logger.warn({ message: 'JWT_SECRET is not set: using a generated secret kept in the data folder; set JWT_SECRET in production', dataDir: settings.dataDir });
  }
  try {
    // Fail fast, before the database starts, with one line (Nest would also log its own).
    await assertCanListen(settings.host, settings.port);
  } catch (error) {
    console.error(listenFailure(error, settings));
    process.exit(1);
  }
  try {
    const running = await startWaypoint(settings);
    if (writesJson(settings.logFormat, process.stdout)) {
      logger.log({ message: `Waypoint listening on ${running.url}`, url: running.url, database: describeDatabase(settings), dataDir: settings.dataDir });
    } else {
      process.stdout.write(startBanner(running.url, settings));
    }
    const stop = async (signal: string) => {
      logger.log({ message: 'shutting down: committing queued movements first', signal, timeoutMs: settings.shutdownTimeoutMs });
      // A database that does not answer must not hold the stop for ever: every queued
      // movement is answered within the append bounds, and this is the bound of the rest.
      setTimeout(() => {
        logger.error({ message: 'shutdown did not finish within SHUTDOWN_TIMEOUT_MS; exiting anyway', timeoutMs: settings.shutdownTimeoutMs });
        process.exit(1);
      }, settings.shutdownTimeoutMs).unref();
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (error) {
    console.error(startFailure(error, settings));
    process.exit(1);
  }
}

void main();
