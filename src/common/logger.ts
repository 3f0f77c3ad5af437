import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import { LogFormat, LogLevel, Settings } from '../config/settings';

/** LOG_LEVEL names (Nest's) to pino's levels. */
const PINO_LEVEL: Record<LogLevel, Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Nest's own start-up chatter (a line per module, per route, per gateway): useful when
 * debugging wiring, noise at the default level.
 */
const WIRING_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController', 'NestFactory', 'NestApplication']);

/** Secrets never written to a log line: credentials in headers and in any logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'accessToken',
  '*.password',
  '*.token',
  '*.accessToken',
];

/** Whether lines go out as JSON: LOG_FORMAT=json, or auto on a stream that is not a terminal. */
export function writesJson(format: LogFormat, stream: { isTTY?: boolean }): boolean {
  return format === 'json' || (format === 'auto' && !stream.isTTY);
}

/**
 * Nest's logger interface on pino: one flat object per line (`message` plus the fields
 * of a logged object, never an object nested under `message`), `context` the Nest
 * context (class) that logged it.
 */
export class WaypointLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    // Nest passes the context last; error() may pass a stack before it.
    const rest = [...params];
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context !== undefined && WIRING_CONTEXTS.has(context)) level = 'debug';
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    let text: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (message !== null && typeof message === 'object') {
      const { message: inner, ...others } = message as Record<string, unknown>;
      Object.assign(fields, others);
      if (typeof inner === 'string') text = inner;
      else if (inner !== undefined) fields.detail = inner;
    } else {
      text = String(message);
    }
    for (const param of rest) {
      if (param === undefined) continue;
      if (param instanceof Error) fields.err = param;
      else if (typeof param === 'string') fields[level === 'error' || level === 'fatal' ? 'stack' : 'detail'] = param;
      else if (param !== null && typeof param === 'object') Object.assign(fields, param);
      else fields.detail = param;
    }
    this.pino[level](fields, text);
  }
}

/** The pino options Waypoint logs with: `message` and a level name, as the lines always had. */
function pinoOptions(level: LogLevel): pino.LoggerOptions {
  return {
    level: PINO_LEVEL[level],
    messageKey: 'message',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** One readable line per entry for a person at a terminal. */
function prettyStream(fd: 1 | 2, colorize: boolean): DestinationStream {
  return pretty({
    destination: fd,
    sync: true,
    colorize,
    singleLine: true,
    messageKey: 'message',
    translateTime: 'SYS:HH:MM:ss',
    // Request lines say it all in their message; the JSON form keeps the fields.
    ignore: 'pid,hostname,context,req,res,responseTime,reqId',
    messageFormat: '{if context}{context}: {end}{message}',
  });
}

/** A logger writing to `destination` (a test's stream) or to standard output/error. */
export function createPino(settings: Pick<Settings, 'logLevel' | 'logFormat'>, output: 'stdout' | 'stderr' | DestinationStream = 'stdout'): Pino {
  if (typeof output !== 'string') return pino(pinoOptions(settings.logLevel), output);
  const fd = output === 'stderr' ? 2 : 1;
  const stream = output === 'stderr' ? process.stderr : process.stdout;
  // Synchronous writes: a line is out before the process exits, and in order with console output.
  const destination = writesJson(settings.logFormat, stream) ? pino.destination({ fd, sync: true }) : prettyStream(fd, stream.isTTY === true);
  return pino(pinoOptions(settings.logLevel), destination);
}

/**
 * Structured logs through pino: JSON lines when the output is not a terminal (or
 * LOG_FORMAT=json), one readable line each on a terminal (or LOG_FORMAT=pretty).
 * The CLI logs to standard error: its standard output is its result.
 */
export function createLogger(settings: Pick<Settings, 'logLevel' | 'logFormat'>, output: 'stdout' | 'stderr' | DestinationStream = 'stdout'): WaypointLogger {
  return new WaypointLogger(createPino(settings, output));
}
