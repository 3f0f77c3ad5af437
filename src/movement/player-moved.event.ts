import { IEvent } from '@nestjs/cqrs';
import { MovementData } from './position';

/** One recorded movement. */
export class PlayerMoved {
  constructor(
    readonly playerId: string,
    readonly movement: MovementData,
    /** Server time the batch was recorded (taken just before its commit, shared by the batch), ms since the epoch: `t` on the wire. */
    readonly recordedAt: number,
    readonly streamVersion: number,
  ) {}
}

/**
 * Published on the EventBus once per committed batch, after the commit, carrying each
 * PlayerMoved of the batch in order. One publication per batch rather than per movement:
 * the bus's per-event RxJS dispatch was a visible share of the profile (docs/performance.md,
 * "One publication per batch").
 */
export class PlayersMoved implements IEvent {
  constructor(readonly moves: readonly PlayerMoved[]) {}
}
