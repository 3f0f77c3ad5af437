import { RangeEvent } from '../../event-store';
import { MovementData } from '../../movement/position';
import { playerIdOfMovementStream } from '../../players/player-streams';
import { MovementDto } from '../dto/replay.dto';

/** A PlayerMoved event as PROTOCOL.md's `Movement`. */
export function toMovement(e: RangeEvent<MovementData>): MovementDto {
  const d = e.data;
  return {
    id: e.eventId,
    playerId: playerIdOfMovementStream(e.streamId),
    x: d.x,
    y: d.y,
    z: d.z ?? 0,
    heading: d.heading ?? 0,
    seq: d.seq ?? null,
    at: e.recordedAt,
    position: Number(e.globalPosition),
  };
}
