import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';
import { WirePosition } from '../../movement/position';

export interface Welcome {
  self: { id: string; username: string };
  position: WirePosition | null;
  players: { id: string; username: string; position: WirePosition | null }[];
}

export class ConnectPlayer extends Command<Welcome> {
  constructor(
    readonly player: AuthenticatedPlayer,
    readonly sessionId: string,
    /** The session replaces an older one of the same player: no `player:joined`. */
    readonly takeover: boolean,
  ) {
    super();
  }
}
