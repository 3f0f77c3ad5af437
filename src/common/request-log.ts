import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';

/** Query parameters that may carry a credential, blanked in logged URLs. */
const SECRET_QUERY = /([?&](?:token|access_token|password)=)[^&#]*/gi;

export function withoutSecrets(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[redacted]');
}

/**
 * One line per answered HTTP request, with method, URL, status and time. Successful
 * answers log at debug (a busy replay client would drown the log at the default level),
 * 4xx at warn, 5xx and aborted ones at error. Headers are logged with their credentials
 * redacted (the logger's REDACTED_PATHS); bodies are never logged.
 */
export function requestLogging(logger: Pino): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const log = pinoHttp({
    logger: logger.child({ context: 'HTTP' }),
    quietReqLogger: true,
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug'),
    customSuccessMessage: (req, res, ms) => `${req.method} ${withoutSecrets(req.url)} ${res.statusCode} ${Math.round(ms)} ms`,
    customErrorMessage: (req, res, error) => `${req.method} ${withoutSecrets(req.url)} ${res.statusCode} failed: ${error.message}`,
    serializers: {
      req: (req: { url?: string }) => ({ ...req, url: withoutSecrets(req.url) }),
    },
  });
  return (req, res, next) => log(req, res, next);
}
