import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { EventQueries, ExportSpec, StreamState } from '../../event-store';
import { PLAYER_MOVED } from '../../movement/position';
import { movementStreamId, playerIdOfMovementStream } from '../../players/player-streams';
import { WorldSnapshotDto } from '../dto/replay.dto';
import { JsonText } from '../json-text';
import { ALL_PLAYERS, COUNT_PLAYERS } from '../replay.sql';
import { GetWorldSnapshot } from './world-snapshot.query';

/**
 * How many of the newest movements before the instant are scanned first: twice the
 * players, so that everyone who moved about as often as the others lately is in it.
 */
export const snapshotWindow = (players: number): number => Math.min(100_000, Math.max(1_000, 2 * players));

/** PROTOCOL.md `Position` of a PlayerMoved event, as PostgreSQL writes it (z and heading 0 when absent). */
export const SNAPSHOT_POSITION: ExportSpec = {
  format: 'ndjson',
  columns: [
    { name: 'x', field: 'x', kind: 'number', missing: 'null' },
    { name: 'y', field: 'y', kind: 'number', missing: 'null' },
    { name: 'z', field: 'z', kind: 'number', missing: 'zero' },
    { name: 'heading', field: 'heading', kind: 'number', missing: 'zero' },
    { name: 'at', event: 'recordedAt' },
  ],
};

/**
 * From the events, not the last-position projection: each player's latest PlayerMoved
 * recorded at or before the instant. The newest movements before the instant are read
 * first (adjacent rows) while the player list loads; only players missing from them
 * are then looked up one by one. Players who had not moved by then are left out.
 * Positions arrive as JSON text from PostgreSQL and are only spliced into the answer:
 * parsing 10,000 events and stringifying them again was most of this process's time.
 */
@QueryHandler(GetWorldSnapshot)
export class GetWorldSnapshotHandler implements IQueryHandler<GetWorldSnapshot> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
  ) {}

  async execute({ at }: GetWorldSnapshot): Promise<JsonText<WorldSnapshotDto>> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(COUNT_PLAYERS);
    const [players, recent]: [{ id: string; username: string }[], { states: StreamState[]; exhaustive: boolean }] = await Promise.all([
      this.dataSource.query(ALL_PLAYERS),
      this.events.newestPerStreamBefore(PLAYER_MOVED, at, snapshotWindow(count), SNAPSHOT_POSITION),
    ]);
    const byPlayer = new Map(recent.states.map((e) => [playerIdOfMovementStream(e.streamId), e.json]));
    if (!recent.exhaustive) {
      const missing = players.filter((p) => !byPlayer.has(p.id)).map((p) => movementStreamId(p.id));
      for (const e of await this.events.latestOfStreamsAt(missing, PLAYER_MOVED, at, SNAPSHOT_POSITION)) {
        byPlayer.set(playerIdOfMovementStream(e.streamId), e.json);
      }
    }
    const entries: string[] = [];
    for (const p of players) {
      const position = byPlayer.get(p.id);
      // Ids are UUID text from PostgreSQL (nothing to escape); names go through JSON.stringify.
      if (position !== undefined) entries.push(`{"id":"${p.id}","username":${JSON.stringify(p.username)},"position":${position}}`);
    }
    return new JsonText(`{"at":"${at.toISOString()}","players":[${entries.join(',')}]}`);
  }
}
