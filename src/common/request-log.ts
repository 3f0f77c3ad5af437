import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';

/** Query parameters that may carry a credential, blanked in logged URLs. */
const SECRET_QUERY = /([?&](?:token|access_token|password)=)[^&#]*/gi;

export function withoutSecrets(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[redacted]');
}

/**
 * One line per answered HTTP request: method, URL, status and time, the client's address
 * and user agent. Successful answers log at debug (a busy replay client would drown the
 * log at the default level), 4xx at log (the client's mistake, not the server's: a
 * scanner's 404s are no warning), 5xx and aborted ones at error. No other header and no
 * body is logged; credentials in a URL are blanked.
 */
export function requestLogging(logger: Pino): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const log = pinoHttp({
    logger: logger.child({ context: 'HTTP' }),
    quietReqLogger: true,
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    customSuccessMessage: (req, res, ms) => `${req.method} ${withoutSecrets(req.url)} ${res.statusCode} ${Math.round(ms)} ms`,
    customErrorMessage: (req, res, error) => `${req.method} ${withoutSecrets(req.url)} ${res.statusCode} failed: ${error.message}`,
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string; headers?: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: withoutSecrets(req.url),
        remoteAddress: req.remoteAddress,
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req, res, next) => log(req, res, next);
}
