import { BadRequestException, Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SETTINGS, Settings } from '../../config/settings';
import { EventQueries } from '../history';
import { PLAYER_MOVED } from '../../movement/position';
import { movementStreamId } from '../../players/player-streams';
import { HeatmapDto } from '../dto/analytics.dto';
import { JsonText } from '../json-text';
import { queryRows } from '../query-rows';
import { MovementRanges } from '../read-movements/movement-ranges';
import { HEATMAP_ALL_PLAYERS, HEATMAP_OF_STREAMS } from './world-heatmap.sql';
import { GetWorldHeatmap } from './world-heatmap.query';

/**
 * Counted by PostgreSQL, which also writes the cells as JSON text: the answer is one
 * row however many cells. A range reaching the live edge is first settled (appends in
 * flight committed), as every read across players is, so a heatmap never misses a
 * movement that a later read of the same range would count.
 */
@QueryHandler(GetWorldHeatmap)
export class GetWorldHeatmapHandler implements IQueryHandler<GetWorldHeatmap> {
  private readonly maxCells: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
    private readonly ranges: MovementRanges,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.maxCells = settings.heatmapMaxCells;
  }

  async execute({ range, cell, playerIds }: GetWorldHeatmap): Promise<JsonText<HeatmapDto>> {
    if (playerIds !== null) await this.ranges.requirePlayers(playerIds);
    const streamIds = playerIds === null ? null : playerIds.map(movementStreamId);
    const settled = await this.events.settledRange({ type: PLAYER_MOVED, streamIds, from: range.from, to: range.to, after: null });
    const params: unknown[] = [PLAYER_MOVED, settled.from, settled.to, cell, this.maxCells + 1];
    const [{ count, cells }] = await queryRows<{ count: number; cells: string }>(
      this.dataSource,
      streamIds === null ? HEATMAP_ALL_PLAYERS : HEATMAP_OF_STREAMS,
      streamIds === null ? params : [...params, streamIds],
    );
    if (count > this.maxCells) {
      throw new BadRequestException(
        `more than ${this.maxCells} cells (HEATMAP_MAX_CELLS) hold movements in this range at cell ${cell}; ask for a larger cell or a shorter range`,
      );
    }
    return new JsonText(`{"from":"${range.from.toISOString()}","to":"${range.to.toISOString()}","cell":${JSON.stringify(cell)},"cells":[`, cells, ']}');
  }
}
