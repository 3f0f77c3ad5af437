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
import { ErrorDto } from '../common/error.dto';
import { MovementPageDto } from './dto/replay.dto';
import { JsonTextInterceptor } from './json-text';

/** Bearer-protected reading route with the 401/403 it can answer; large answers come as JsonText. */
export const ReadingRoute = () =>
  applyDecorators(
    UseGuards(ReaderGuard),
    UseInterceptors(JsonTextInterceptor),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ type: ErrorDto, description: 'no, invalid or expired access token' }),
    ApiForbiddenResponse({ type: ErrorDto, description: 'a player reading anything but their own position and history' }),
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
    ApiBadRequestResponse({ type: ErrorDto, description: 'a malformed date, from after to, limit out of range, malformed or unknown cursor, an unknown parameter' }),
    ApiNotAcceptableResponse({ type: ErrorDto, description: 'Accept allows none of the formats' }),
    ApiTooManyRequestsResponse({ type: ErrorDto, description: 'too many exports streaming from this server' }),
  );

/** A read across players that reached the live edge while appends stayed in flight too long (REPLAY_LIVE_EDGE_WAIT_MS). */
export const LiveEdgeResponse = () =>
  ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'appends in flight at the live edge did not commit within REPLAY_LIVE_EDGE_WAIT_MS; retry shortly',
  });

export const UnknownPlayerResponse = () => ApiNotFoundResponse({ type: ErrorDto, description: 'no such player' });
