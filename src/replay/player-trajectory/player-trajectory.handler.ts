import { BadRequestException, Inject, NotFoundException } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SETTINGS, Settings } from '../../config/settings';
import { EventQueries } from '../history';
import { PLAYER_MOVED } from '../../movement/position';
import { isUuid } from '../../players/player-ids';
import { movementStreamId } from '../../players/player-streams';
import { TrajectoryDto } from '../dto/analytics.dto';
import { JsonText } from '../json-text';
import { queryRows } from '../query-rows';
import { TRAJECTORY_PARTS } from './player-trajectory.sql';
import { GetPlayerTrajectory } from './player-trajectory.query';

/** RFC 7946's media type: GIS tools (QGIS, kepler.gl) open the answer as it is. */
export const GEOJSON_CONTENT_TYPE = 'application/geo+json';

/**
 * A GeoJSON Feature whose LineString holds every movement of the range in recorded
 * order; the times and seqs, one per coordinate, are in its properties. PostgreSQL
 * writes the three arrays as JSON text. Fewer than two movements give a LineString of
 * fewer than two positions (none: empty coordinates), which GeoJSON readers take as an
 * empty geometry, rather than an invented point.
 */
@QueryHandler(GetPlayerTrajectory)
export class GetPlayerTrajectoryHandler implements IQueryHandler<GetPlayerTrajectory> {
  private readonly maxPoints: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.maxPoints = settings.trajectoryMaxPoints;
  }

  async execute({ playerId, range }: GetPlayerTrajectory): Promise<JsonText<TrajectoryDto>> {
    const id = playerId.toLowerCase();
    if (!isUuid(id)) throw new NotFoundException(`no player with id ${playerId}`);
    const streamId = movementStreamId(id);
    // One stream commits in recorded order: settledRange returns it as it is (see EventQueries).
    const settled = await this.events.settledRange({ type: PLAYER_MOVED, streamIds: [streamId], from: range.from, to: range.to, after: null });
    const [parts] = await queryRows<{ playerId: string; username: string; count: number; coordinates: string; times: string; seqs: string }>(
      this.dataSource,
      TRAJECTORY_PARTS,
      [id, streamId, PLAYER_MOVED, settled.from, settled.to, this.maxPoints + 1],
    );
    if (!parts) throw new NotFoundException(`no player with id ${playerId}`);
    const player = { id: parts.playerId, username: parts.username };
    if (parts.count > this.maxPoints) {
      throw new BadRequestException(
        `more than ${this.maxPoints} movements (TRAJECTORY_MAX_POINTS) in this range; ask for a shorter range, or stream them from /players/${player.id}/movements as NDJSON or CSV`,
      );
    }
    return new JsonText(
      '{"type":"Feature","geometry":{"type":"LineString","coordinates":[',
      parts.coordinates,
      `]},"properties":{"playerId":"${player.id}","username":${JSON.stringify(player.username)},"times":[`,
      parts.times,
      '],"seqs":[',
      parts.seqs,
      ']}}',
    ).as(GEOJSON_CONTENT_TYPE);
  }
}
