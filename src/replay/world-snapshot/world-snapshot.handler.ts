import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventQueries, ExportSpec } from '../history';
import { PLAYER_MOVED } from '../../movement/position';
import { WorldSnapshotDto } from '../dto/replay.dto';
import { JsonText } from '../json-text';
import { PlayerRoster } from './player-roster';
import { GetWorldSnapshot } from './world-snapshot.query';

/**
 * How many of the newest events before the instant are scanned first: twice the
 * players, so that everyone who moved about as often as the others lately is in it.
 */
export const snapshotWindow = (players: number): number => Math.min(100_000, Math.max(1_000, 2 * players));

/** The protocol's `Position` of a PlayerMoved event, as PostgreSQL writes it (z and heading 0 when absent). */
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
 * first (adjacent rows); only players missing from them are then looked up one by one.
 * Players who had not moved by then are left out. Positions arrive as JSON text from
 * PostgreSQL and are only spliced into the answer, after each player's cached opening
 * (see PlayerRoster): parsing 10,000 events and stringifying them again was most of
 * this process's time.
 */
@QueryHandler(GetWorldSnapshot)
export class GetWorldSnapshotHandler implements IQueryHandler<GetWorldSnapshot> {
  constructor(
    private readonly roster: PlayerRoster,
    private readonly events: EventQueries,
  ) {}

  async execute({ at }: GetWorldSnapshot): Promise<JsonText<WorldSnapshotDto>> {
    // An instant in the past is answered only once appends still in flight that may have
    // moved someone by then have committed, so two snapshots of one instant agree.
    const [roster] = await Promise.all([this.roster.current(), this.events.settledThrough(at)]);
    const recent = await this.events.newestPerStreamBefore(PLAYER_MOVED, at, snapshotWindow(roster.size), SNAPSHOT_POSITION);
    const positions = new Array<string | undefined>(roster.size);
    for (let i = 0; i < recent.streamIds.length; i++) {
      const place = roster.placeOfStream.get(recent.streamIds[i]);
      if (place !== undefined) positions[place] = recent.jsons[i];
    }
    if (!recent.exhaustive) {
      const missing = roster.streamIds.filter((_, place) => positions[place] === undefined);
      for (const state of await this.events.latestOfStreamsAt(missing, PLAYER_MOVED, at, SNAPSHOT_POSITION)) {
        positions[roster.placeOfStream.get(state.streamId)!] = state.json;
      }
    }
    const entries: string[] = [];
    for (let place = 0; place < roster.size; place++) {
      const position = positions[place];
      if (position !== undefined) entries.push(`${roster.openings[place]}${position}}`);
    }
    return new JsonText(`{"at":"${at.toISOString()}","players":[`, entries.join(','), ']}');
  }
}
