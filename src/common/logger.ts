import { ConsoleLogger, LogLevel as NestLogLevel } from '@nestjs/common';
import { LogLevel, Settings } from '../config/settings';

const ORDER: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Structured logs: one JSON object per line by default (LOG_FORMAT=pretty for humans). */
export function createLogger(settings: Pick<Settings, 'logLevel' | 'logFormat'>): ConsoleLogger {
  const logLevels = ORDER.slice(0, ORDER.indexOf(settings.logLevel) + 1) as NestLogLevel[];
  if (settings.logLevel !== 'error') logLevels.push('fatal');
  const json = settings.logFormat === 'json';
  return new ConsoleLogger({ json, logLevels, colors: !json && process.stdout.isTTY, flattenParams: true });
}
