import { Role } from '../players/player-lifecycle.events';

/** Who a valid access token speaks for. */
export interface AuthenticatedPlayer {
  id: string;
  username: string;
  role: Role;
}
