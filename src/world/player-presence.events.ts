import { IEvent } from '@nestjs/cqrs';
import { WirePosition } from '../movement/position';

/** A player came online (not a takeover of their own session). */
export class PlayerJoined implements IEvent {
  constructor(
    readonly id: string,
    readonly username: string,
    readonly n: number,
    readonly position: WirePosition | null,
    readonly sessionId: string,
  ) {}
}

/** A player's last session closed. */
export class PlayerLeft implements IEvent {
  constructor(readonly id: string) {}
}
