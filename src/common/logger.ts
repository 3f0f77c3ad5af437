import { ConsoleLogger, LogLevel as NestLogLevel } from '@nestjs/common';
import { LogLevel, Settings } from '../config/settings';

const ORDER: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Every line to standard error: for the CLI, whose standard output is its result (one
 * JSON object a script can read), which log lines must not mix into.
 */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: NestLogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}

/** Structured logs: one JSON object per line by default (LOG_FORMAT=pretty for humans). */
export function createLogger(settings: Pick<Settings, 'logLevel' | 'logFormat'>, output: 'stdout' | 'stderr' = 'stdout'): ConsoleLogger {
  const logLevels = ORDER.slice(0, ORDER.indexOf(settings.logLevel) + 1) as NestLogLevel[];
  if (settings.logLevel !== 'error') logLevels.push('fatal');
  const json = settings.logFormat === 'json';
  const stream = output === 'stderr' ? process.stderr : process.stdout;
  const options = { json, logLevels, colors: !json && stream.isTTY, flattenParams: true };
  return output === 'stderr' ? new StderrLogger(options) : new ConsoleLogger(options);
}
