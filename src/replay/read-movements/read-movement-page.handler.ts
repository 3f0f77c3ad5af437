import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventQueries } from '../history';
import { MovementPageDto } from '../dto/replay.dto';
import { MOVEMENT_JSON } from '../export-movements/export-format';
import { JsonText } from '../json-text';
import { MovementRanges } from './movement-ranges';
import { ReadMovementPage } from './read-movement-page.query';

/**
 * A page of movements as JSON written by PostgreSQL: the same Movement objects as the
 * NDJSON export (one spec), so a page and an export of one range agree field by field.
 */
@QueryHandler(ReadMovementPage)
export class ReadMovementPageHandler implements IQueryHandler<ReadMovementPage> {
  constructor(
    private readonly ranges: MovementRanges,
    private readonly events: EventQueries,
  ) {}

  async execute({ playerIds, request }: ReadMovementPage): Promise<JsonText<MovementPageDto>> {
    const range = await this.ranges.resolve(playerIds, request);
    const page = await this.events.readJsonPage(range, MOVEMENT_JSON, request.limit);
    // Positions are bigints in the store; as JSON numbers they are exact up to 2^53.
    return new JsonText('{"items":[', ...page.items, `],"nextCursor":${page.next ?? 'null'}}`);
  }
}
