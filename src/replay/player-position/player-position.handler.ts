import { NotFoundException } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { isUuid } from '../../players/player-ids';
import { PositionDto } from '../dto/replay.dto';
import { PLAYER_WITH_LAST_POSITION } from '../replay.sql';
import { LastPositionRow, toPosition } from './last-position-row';
import { GetPlayerPosition } from './player-position.query';

/** From the last-position projection, which is committed with every movement. */
@QueryHandler(GetPlayerPosition)
export class GetPlayerPositionHandler implements IQueryHandler<GetPlayerPosition> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ playerId }: GetPlayerPosition): Promise<PositionDto> {
    const rows: LastPositionRow[] = isUuid(playerId) ? await this.dataSource.query(PLAYER_WITH_LAST_POSITION, [playerId]) : [];
    if (rows.length === 0) throw new NotFoundException(`no player with id ${playerId}`);
    const position = toPosition(rows[0]);
    if (!position) throw new NotFoundException(`player ${playerId} has no recorded position yet`);
    return position;
  }
}
