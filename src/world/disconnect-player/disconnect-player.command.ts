import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';

export class DisconnectPlayer extends Command<void> {
  constructor(
    readonly player: AuthenticatedPlayer,
    readonly sessionId: string,
    /** Socket.IO's disconnect reason ("transport close", "client namespace disconnect", …). */
    readonly reason: string,
  ) {
    super();
  }
}
