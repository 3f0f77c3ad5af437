import { IEvent } from '@nestjs/cqrs';
import { MovementData } from './position';

/** Published on the EventBus once the movement's event is committed. */
export class PlayerMoved implements IEvent {
  constructor(
    readonly playerId: string,
    readonly movement: MovementData,
    /** Server time the batch was recorded (taken just before its commit, shared by the batch), ms since the epoch: `t` on the wire. */
    readonly recordedAt: number,
    readonly streamVersion: number,
    readonly globalPosition: string,
  ) {}
}
