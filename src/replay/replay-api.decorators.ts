import { applyDecorators, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotAcceptableResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ReaderGuard } from './access/reader.guard';
import { ErrorDto, errorExample } from '../common/error.dto';
import { MovementPageDto } from './dto/replay.dto';
import { JsonTextInterceptor } from './json-text';

/** Bearer-protected reading route with the 401/403 it can answer; large answers come as JsonText. */
export const ReadingRoute = () =>
  applyDecorators(
    UseGuards(ReaderGuard),
    UseInterceptors(JsonTextInterceptor),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      type: ErrorDto,
      description: 'no, invalid or expired access token',
      example: errorExample(401, 'Unauthorized', 'a valid access token is required: Authorization: Bearer <token> from POST /auth/login'),
    }),
    ApiForbiddenResponse({
      type: ErrorDto,
      description: 'a player reading anything but their own position and history',
      example: errorExample(403, 'Forbidden', 'only analysts may read other players; a player reads only their own position and history'),
    }),
  );

/** The answers shared by the movement endpoints: a page, or an export by Accept header. */
export const MovementsRoute = () =>
  applyDecorators(
    ApiProduces('application/json', 'application/x-ndjson', 'text/csv'),
    ApiExtraModels(MovementPageDto),
    ApiOkResponse({
      // Each format its own schema: the exports are text, not a page.
      content: {
        'application/json': { schema: { $ref: getSchemaPath(MovementPageDto) } },
        'application/x-ndjson': { schema: { type: 'string', description: 'one Movement object (JSON) per line' } },
        'text/csv': { schema: { type: 'string', description: 'a header line, then one Movement per line' } },
      },
      description:
        'application/json: one page, `{items, nextCursor}`. With `Accept: application/x-ndjson` (one Movement per line) or ' +
        '`text/csv` (header id,playerId,x,y,z,heading,seq,at,position) the whole range after `after` is streamed instead; `limit` is ignored.',
    }),
    ApiBadRequestResponse({
      type: ErrorDto,
      description: 'a malformed date, from after to, limit out of range, malformed or unknown cursor, an unknown parameter',
      example: errorExample(400, 'Bad Request', 'limit must be a whole number from 1 to 10000'),
    }),
    ApiNotAcceptableResponse({
      type: ErrorDto,
      description: 'Accept allows none of the formats',
      example: errorExample(406, 'Not Acceptable', 'movements are served as application/json (pages), application/x-ndjson or text/csv (whole-range exports)'),
    }),
    ApiTooManyRequestsResponse({
      type: ErrorDto,
      description: 'too many exports streaming from this server',
      example: errorExample(429, 'Too Many Requests', '4 exports are already streaming from this server; retry when one ends'),
    }),
  );

/** A read across players that reached the live edge while appends stayed in flight too long (REPLAY_LIVE_EDGE_WAIT_MS). */
export const LiveEdgeResponse = () =>
  ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'appends in flight at the live edge did not commit within REPLAY_LIVE_EDGE_WAIT_MS; retry shortly',
    example: errorExample(
      503,
      'Service Unavailable',
      'events being recorded right now did not commit within 5000 ms (REPLAY_LIVE_EDGE_WAIT_MS), and answering without them could skip them; retry shortly',
    ),
  });

export const UnknownPlayerResponse = () =>
  ApiNotFoundResponse({ type: ErrorDto, description: 'no such player', example: errorExample(404, 'Not Found', 'no player with id 7b0c1f9e-3d2a-4c5b-9e8f-0a1b2c3d4e5f') });

/** The 400 of an analytics endpoint: the range checks they share, and `more` of its own. */
export const AnalyticsRoute = (more: string) =>
  ApiBadRequestResponse({
    type: ErrorDto,
    description: `from or to missing or malformed, from not before to, a range longer than ANALYTICS_MAX_RANGE_HOURS, an unknown parameter; ${more}`,
    example: errorExample(400, 'Bad Request', 'from is required: one ISO 8601 instant such as 2025-11-26T10:00:00Z or 2025-11-26 (a date-time needs Z or an offset like +02:00)'),
  });
