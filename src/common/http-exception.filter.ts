import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { LiveEdgeNotSettled } from '../replay/history';
import { JsonBodyRuleBroken } from './json-body-rules';

/** Every HTTP error leaves as `{statusCode, error, message}` (docs/protocol.md). */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const { statusCode, message } = describe(exception);
    if (exception instanceof LiveEdgeNotSettled) {
      // Expected now and then under load, and the client is told to retry: no stack trace.
      this.logger.warn({ message: 'replay read gave up waiting at the live edge', appendsInFlight: exception.appendsInFlight, waitedMs: exception.waitedMs });
      response.setHeader('Retry-After', '1');
    } else if (statusCode >= 500 && exception instanceof HttpException) {
      // Refused on purpose (a part it needs does not answer) with a message saying so: one
      // line, no stack trace, which is for what nothing answered on purpose.
      this.logger.warn({ message: 'request refused', statusCode, reason: message });
    } else if (statusCode >= 500) {
      this.logger.error({ message: 'request failed', error: String((exception as Error)?.stack ?? exception) });
    }
    response.status(statusCode).json({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message });
  }
}

/**
 * body-parser's errors, in words a client can act on; undefined for anything else. Nest
 * hands them over wrapped in an HttpException (the original as its cause) whose message
 * is the JSON parser's, such as "Expected property name or '}' in JSON at position 1".
 */
function bodyParserMessage(error: unknown): string | undefined {
  if (error instanceof JsonBodyRuleBroken) return error.message;
  const type = (error as { type?: unknown } | undefined)?.type;
  if (type === 'entity.parse.failed') return 'request body is not valid JSON';
  if (type === 'entity.too.large') return 'request body is too large';
  return undefined;
}

/** body-parser answers a `verify` refusal 403 whatever it says; a broken body rule has its own status. */
function statusOf(error: unknown): number | undefined {
  return error instanceof JsonBodyRuleBroken ? error.answerStatus : undefined;
}

function describe(exception: unknown): { statusCode: number; message: string } {
  if (exception instanceof HttpException) {
    const fromBodyParser = bodyParserMessage(exception.cause);
    if (fromBodyParser !== undefined) return { statusCode: statusOf(exception.cause) ?? exception.getStatus(), message: fromBodyParser };
    const body = exception.getResponse();
    const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message ?? exception.message;
    return { statusCode: exception.getStatus(), message: Array.isArray(raw) ? raw.join('; ') : String(raw) };
  }
  if (exception instanceof LiveEdgeNotSettled) {
    return {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      message: `events being recorded right now did not commit within ${exception.waitedMs} ms (REPLAY_LIVE_EDGE_WAIT_MS), and answering without them could skip them; retry shortly`,
    };
  }
  // Errors with a client status that reach here unwrapped (body-parser's, on an adapter
  // that does not wrap them).
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { statusCode: statusOf(exception) ?? status, message: bodyParserMessage(exception) ?? String((exception as Error).message) };
  }
  return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'unexpected server error; see the server log' };
}
