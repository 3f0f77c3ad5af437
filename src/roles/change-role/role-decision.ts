import { PlayerLifecycleEvent, Role } from '../../players/player-lifecycle.events';

export type RoleAction = 'grant' | 'revoke';

/** Who asked for a change: an operator's CLI command, or BOOTSTRAP_ANALYSTS at start. */
export type RoleChangeSource = 'cli' | 'bootstrap';

export interface RoleChangeEvent {
  type: typeof PlayerLifecycleEvent.RoleGranted | typeof PlayerLifecycleEvent.RoleRevoked;
  data: { role: Role; previousRole: Role; newRole: Role; source: RoleChangeSource };
}

export type RoleDecision = { changed: false; role: Role } | { changed: true; role: Role; event: RoleChangeEvent };

export class RoleChangeRefused extends Error {}

/**
 * Every account is a player; `analyst` is the one role that is granted and revoked.
 * Granting a role the player has, or revoking one they lack, changes nothing (and
 * records nothing), so BOOTSTRAP_ANALYSTS and repeated commands are idempotent.
 */
export function decideRoleChange(current: Role, action: RoleAction, role: string, source: RoleChangeSource): RoleDecision {
  if (role !== 'analyst') {
    throw new RoleChangeRefused(
      role === 'player'
        ? 'every account is a player; only the analyst role is granted or revoked'
        : `unknown role "${role}"; the role that can be granted or revoked is "analyst"`,
    );
  }
  const next: Role = action === 'grant' ? 'analyst' : 'player';
  if (next === current) return { changed: false, role: current };
  const type = action === 'grant' ? PlayerLifecycleEvent.RoleGranted : PlayerLifecycleEvent.RoleRevoked;
  return { changed: true, role: next, event: { type, data: { role: 'analyst', previousRole: current, newRole: next, source } } };
}
