import { Command } from '@nestjs/cqrs';
import { AuthenticatedPlayer } from '../../auth/authenticated-player';
import { WirePosition } from '../../movement/position';

export interface Welcome {
  self: { id: string; username: string };
  position: WirePosition | null;
  players: { id: string; username: string; position: WirePosition | null }[];
}

export interface ConnectPlayerResult {
  welcome: Welcome;
  /** The older session of the same player that this one takes over. */
  replacedSessionId: string | null;
}

export class ConnectPlayer extends Command<ConnectPlayerResult> {
  constructor(
    readonly player: AuthenticatedPlayer,
    readonly sessionId: string,
  ) {
    super();
  }
}
