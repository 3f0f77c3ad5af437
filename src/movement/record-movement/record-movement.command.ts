import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';
import { MovementErrorCode } from './movement-error-code';

/**
 * The outcome of one `position` message, as the ack carries it. A rejection is an
 * expected answer, returned rather than thrown: under overload thousands a second are
 * refused, and an Error's stack trace each was most of the server's time.
 */
export type RecordMovementResult =
  | { ok: true; seq: number | null; duplicate?: true }
  | { ok: false; error: { code: MovementErrorCode; message: string }; seq: number | null };

/** One `position` message, as received: the handler decides whether it is a movement. */
export class RecordMovement extends Command<RecordMovementResult> {
  constructor(
    readonly player: AuthenticatedPlayer,
    readonly sessionId: string,
    readonly payload: unknown,
    /** Server receive time, ms since the epoch. */
    readonly receivedAt: number,
    /** The handshake's auth.clientSession: every position then carries a seq, recorded at most once. */
    readonly clientSession: string | null = null,
  ) {
    super();
  }
}
