import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';
import { WirePosition } from '../../movement/position';
import type { OnlineEntry } from '../online-players';

export interface Welcome {
  self: { id: string; username: string; n: number };
  position: WirePosition | null;
  players: OnlineEntry[];
  /** The world bounds per axis and the area-of-interest cell size (null when off). */
  world: { min: number; max: number; cellSize: number | null };
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
