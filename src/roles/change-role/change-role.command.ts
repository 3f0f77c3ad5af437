import { Command } from '@nestjs/cqrs';
import { Role } from '../../players/player-lifecycle.events';
import { RoleAction, RoleChangeSource } from './role-decision';

export interface ChangeRoleResult {
  playerId: string;
  username: string;
  role: Role;
  /** False when the player already had the requested role: nothing was written. */
  changed: boolean;
}

/** Grant or revoke a role of the player with this username. */
export class ChangeRole extends Command<ChangeRoleResult> {
  constructor(
    readonly username: string,
    readonly action: RoleAction,
    readonly role: string,
    readonly source: RoleChangeSource,
  ) {
    super();
  }
}
