import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventQueries } from '../../event-store';
import { MovementData } from '../../movement/position';
import { MovementPageDto } from '../dto/replay.dto';
import { toMovement } from './movement.mapper';
import { MovementRanges } from './movement-ranges';
import { ReadMovementPage } from './read-movement-page.query';

@QueryHandler(ReadMovementPage)
export class ReadMovementPageHandler implements IQueryHandler<ReadMovementPage> {
  constructor(
    private readonly ranges: MovementRanges,
    private readonly events: EventQueries,
  ) {}

  async execute({ playerIds, request }: ReadMovementPage): Promise<MovementPageDto> {
    const range = await this.ranges.resolve(playerIds, request);
    // One row more than asked says whether the range goes on, so the last page says so (nextCursor null).
    const rows = await this.events.readRange<MovementData>(range, request.limit + 1);
    const more = rows.length > request.limit;
    const items = (more ? rows.slice(0, request.limit) : rows).map(toMovement);
    return { items, nextCursor: more ? items[items.length - 1].position : null };
  }
}
