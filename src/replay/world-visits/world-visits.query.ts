import { Query } from '@nestjs/cqrs';
import { AnalyticsRange } from '../dto/analytics-query.dto';
import { VisitsDto } from '../dto/analytics.dto';

/** Every player who moved within `radius` of (x, y) in a range. */
export class GetWorldVisits extends Query<VisitsDto> {
  constructor(
    readonly range: AnalyticsRange,
    readonly x: number,
    readonly y: number,
    readonly radius: number,
  ) {
    super();
  }
}
