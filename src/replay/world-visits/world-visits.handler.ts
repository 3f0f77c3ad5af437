import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { EventQueries } from '../history';
import { PLAYER_MOVED } from '../../movement/position';
import { VisitDto, VisitsDto } from '../dto/analytics.dto';
import { queryRows } from '../query-rows';
import { VISITS_NEAR_POINT } from './world-visits.sql';
import { GetWorldVisits } from './world-visits.query';

/** One row per visiting player, aggregated by PostgreSQL; the range is settled first, as every read across players is. */
@QueryHandler(GetWorldVisits)
export class GetWorldVisitsHandler implements IQueryHandler<GetWorldVisits> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
  ) {}

  async execute({ range, x, y, radius }: GetWorldVisits): Promise<VisitsDto> {
    const settled = await this.events.settledRange({ type: PLAYER_MOVED, streamIds: null, from: range.from, to: range.to, after: null });
    const items = await queryRows<VisitDto>(this.dataSource, VISITS_NEAR_POINT, [PLAYER_MOVED, settled.from, settled.to, x, y, radius]);
    return { items };
  }
}
