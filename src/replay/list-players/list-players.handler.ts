import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { OnlinePlayers } from '../../world/online-players';
import { PlayerSummaryDto } from '../dto/replay.dto';
import { PLAYERS_WITH_LAST_POSITION } from '../replay.sql';
import { LastPositionRow, toPosition } from '../player-position/last-position-row';
import { ListPlayers } from './list-players.query';

@QueryHandler(ListPlayers)
export class ListPlayersHandler implements IQueryHandler<ListPlayers> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly online: OnlinePlayers,
  ) {}

  async execute(): Promise<PlayerSummaryDto[]> {
    const rows: LastPositionRow[] = await this.dataSource.query(PLAYERS_WITH_LAST_POSITION);
    return rows.map((r) => ({ id: r.id, username: r.username, online: this.online.get(r.id) !== undefined, position: toPosition(r) }));
  }
}
