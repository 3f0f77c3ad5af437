import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { EventQueries, StreamState } from '../../event-store';
import { MovementData, PLAYER_MOVED } from '../../movement/position';
import { movementStreamId, playerIdOfMovementStream } from '../../players/player-streams';
import { SnapshotPlayerDto, WorldSnapshotDto } from '../dto/replay.dto';
import { ALL_PLAYERS, COUNT_PLAYERS } from '../replay.sql';
import { GetWorldSnapshot } from './world-snapshot.query';

/**
 * How many of the newest movements before the instant are scanned first: twice the
 * players, so that everyone who moved about as often as the others lately is in it.
 */
export const snapshotWindow = (players: number): number => Math.min(100_000, Math.max(1_000, 2 * players));

/**
 * From the events, not the last-position projection: each player's latest PlayerMoved
 * recorded at or before the instant. The newest movements before the instant are read
 * first (adjacent rows) while the player list loads; only players missing from them
 * are then looked up one by one. Players who had not moved by then are left out.
 */
@QueryHandler(GetWorldSnapshot)
export class GetWorldSnapshotHandler implements IQueryHandler<GetWorldSnapshot> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
  ) {}

  async execute({ at }: GetWorldSnapshot): Promise<WorldSnapshotDto> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(COUNT_PLAYERS);
    const [players, recent]: [{ id: string; username: string }[], { states: StreamState<MovementData>[]; exhaustive: boolean }] = await Promise.all([
      this.dataSource.query(ALL_PLAYERS),
      this.events.newestPerStreamBefore<MovementData>(PLAYER_MOVED, at, snapshotWindow(count)),
    ]);
    const byPlayer = new Map(recent.states.map((e) => [playerIdOfMovementStream(e.streamId), e]));
    if (!recent.exhaustive) {
      const missing = players.filter((p) => !byPlayer.has(p.id)).map((p) => movementStreamId(p.id));
      for (const e of await this.events.latestOfStreamsAt<MovementData>(missing, PLAYER_MOVED, at)) {
        byPlayer.set(playerIdOfMovementStream(e.streamId), e);
      }
    }
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
