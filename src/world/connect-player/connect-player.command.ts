import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';
import { WirePosition } from '../../movement/position';

export interface Welcome {
  self: { id: string; username: string };
  position: WirePosition | null;
  players: { id: string; username: string; position: WirePosition | null }[];
  /** With a resumable session (auth.clientSession): the highest seq recorded in it. */
  resume?: { clientSession: string; lastSeq: number | null };
}

export class ConnectPlayer extends Command<Welcome> {
  constructor(
    readonly player: AuthenticatedPlayer,
    readonly sessionId: string,
    /** The session replaces an older one of the same player: no `player:joined`. */
    readonly takeover: boolean,
    /** The handshake's auth.clientSession, if any. */
    readonly clientSession: string | null = null,
  ) {
    super();
  }
}
