import { Query } from '@nestjs/cqrs';
import { AnalyticsRange } from '../dto/analytics-query.dto';
import { TrajectoryDto } from '../dto/analytics.dto';
import { JsonText } from '../json-text';

/** One player's path in a range, as a GeoJSON Feature. */
export class GetPlayerTrajectory extends Query<JsonText<TrajectoryDto>> {
  constructor(
    readonly playerId: string,
    readonly range: AnalyticsRange,
  ) {
    super();
  }
}
