import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SessionDirectory } from '../../world/session-directory';
import { PlayerSummaryDto } from '../dto/replay.dto';
import { PLAYERS_WITH_LAST_POSITION } from '../replay.sql';
import { LastPositionRow, toPosition } from '../player-position/last-position-row';
import { ListPlayers } from './list-players.query';

@QueryHandler(ListPlayers)
export class ListPlayersHandler implements IQueryHandler<ListPlayers> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionDirectory,
  ) {}

  async execute(): Promise<PlayerSummaryDto[]> {
    // Online on any node: with several nodes, the player may be connected to another one.
    const [rows, online] = await Promise.all([this.dataSource.query(PLAYERS_WITH_LAST_POSITION) as Promise<LastPositionRow[]>, this.sessions.onlineIds()]);
    return rows.map((r) => ({ id: r.id, username: r.username, online: online.has(r.id), position: toPosition(r) }));
  }
}
