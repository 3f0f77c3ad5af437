import { Injectable } from '@nestjs/common';
import { AppendedEvent, InlineProjection, Queryable } from '../../event-store';
import { playerIdOfMovementStream } from '../../players/player-streams';
import { MovementData, PLAYER_MOVED } from '../position';
import { UPSERT_LAST_POSITIONS } from './last-position.sql';

/** The fields the projection needs of a PlayerMoved event, live or replayed. */
type MovedEvent = Pick<AppendedEvent<MovementData>, 'streamId' | 'streamVersion' | 'globalPosition' | 'recordedAt' | 'data' | 'type'>;

/**
 * last_positions: where each player was last seen. Runs inline, in the transaction
 * that appends the movements (so it is never behind the events), and again in
 * rebuilds from the event history. One upsert per batch, latest per player.
 */
@Injectable()
export class LastPositionProjection implements InlineProjection {
  readonly name = 'last_positions';
  readonly handles = [PLAYER_MOVED];

  async apply(events: MovedEvent[], tx: Queryable): Promise<void> {
    const moves = events.filter((e) => e.type === PLAYER_MOVED);
    if (moves.length === 0) return;
    const n = moves.length;
    const columns = Array.from({ length: 9 }, () => new Array<unknown>(n));
    for (let i = 0; i < n; i++) {
      const e = moves[i];
      columns[0][i] = playerIdOfMovementStream(e.streamId);
      columns[1][i] = e.data.x;
      columns[2][i] = e.data.y;
      columns[3][i] = e.data.z;
      columns[4][i] = e.data.heading;
      columns[5][i] = e.data.seq;
      columns[6][i] = e.streamVersion;
      columns[7][i] = e.globalPosition;
      columns[8][i] = e.recordedAt;
    }
    await tx.query(UPSERT_LAST_POSITIONS, columns);
  }
}
