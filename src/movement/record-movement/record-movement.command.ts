import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';

export interface RecordMovementResult {
  seq: number | null;
}

/** One `position` message, as received: the handler decides whether it is a movement. */
export class RecordMovement extends Command<RecordMovementResult> {
  constructor(
    readonly player: AuthenticatedPlayer,
    readonly sessionId: string,
    readonly payload: unknown,
    /** Server receive time, ms since the epoch. */
    readonly receivedAt: number,
  ) {
    super();
  }
}
