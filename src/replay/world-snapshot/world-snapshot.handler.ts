import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { EventQueries } from '../../event-store';
import { MovementData, PLAYER_MOVED } from '../../movement/position';
import { movementStreamId, playerIdOfMovementStream } from '../../players/player-streams';
import { SnapshotPlayerDto, WorldSnapshotDto } from '../dto/replay.dto';
import { ALL_PLAYERS } from '../replay.sql';
import { GetWorldSnapshot } from './world-snapshot.query';

/**
 * From the events, not the last-position projection: each player's latest PlayerMoved
 * recorded at or before the instant (see EventQueries.latestOfStreamsAt). Players who
 * had not moved by then are left out.
 */
@QueryHandler(GetWorldSnapshot)
export class GetWorldSnapshotHandler implements IQueryHandler<GetWorldSnapshot> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
  ) {}

  async execute({ at }: GetWorldSnapshot): Promise<WorldSnapshotDto> {
    const players: { id: string; username: string }[] = await this.dataSource.query(ALL_PLAYERS);
    const latest = await this.events.latestOfStreamsAt<MovementData>(players.map((p) => movementStreamId(p.id)), PLAYER_MOVED, at);
    const byPlayer = new Map(latest.map((e) => [playerIdOfMovementStream(e.streamId), e]));
    const list: SnapshotPlayerDto[] = [];
    for (const p of players) {
      const e = byPlayer.get(p.id);
      if (!e) continue;
      const d = e.data;
      list.push({ id: p.id, username: p.username, position: { x: d.x, y: d.y, z: d.z ?? 0, heading: d.heading ?? 0, at: e.recordedAt } });
    }
    return { at: at.toISOString(), players: list };
  }
}
