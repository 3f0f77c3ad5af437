import { Injectable } from '@nestjs/common';
import { InlineProjection } from '../../event-store';
import { PLAYER_MOVED } from '../position';
import { UPSERT_LAST_POSITIONS } from './last-position.sql';

/**
 * last_positions: where each player was last seen. Runs inline, in the statement that
 * appends the movements (so it is never behind the events), and over pages of history
 * in rebuilds: one upsert per batch, latest per player, guarded by stream version.
 */
@Injectable()
export class LastPositionProjection implements InlineProjection {
  readonly name = 'last_positions';
  readonly eventTypes = [PLAYER_MOVED];
  readonly sql = UPSERT_LAST_POSITIONS;
}
