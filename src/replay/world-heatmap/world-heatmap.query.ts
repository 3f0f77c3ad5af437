import { Query } from '@nestjs/cqrs';
import { AnalyticsRange } from '../dto/analytics-query.dto';
import { HeatmapDto } from '../dto/analytics.dto';
import { JsonText } from '../json-text';

/** Movements per grid cell of side `cell` in a range, of some players (null = every player). */
export class GetWorldHeatmap extends Query<JsonText<HeatmapDto>> {
  constructor(
    readonly range: AnalyticsRange,
    readonly cell: number,
    readonly playerIds: string[] | null,
  ) {
    super();
  }
}
