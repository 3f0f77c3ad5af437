import type { INestApplicationContext } from '@nestjs/common';
import type { CliCommand } from '../common/command-line';
import type { ChangeRoleResult } from './change-role/change-role.command';
import type { RoleAction } from './change-role/role-decision';

/**
 * Runs a role change for the CLI; the result is printed as one JSON line. Nest is loaded
 * only here, so that the CLI answers `--help` and a wrong command line without it.
 */
export async function runRoleCommand(app: INestApplicationContext, action: RoleAction, args: string[]): Promise<ChangeRoleResult> {
  const [username, role, ...rest] = args;
  if (!username || !role || rest.length > 0) throw new Error(`usage: ${action}-role <username> analyst`);
  const [{ CommandBus }, { ChangeRole }] = await Promise.all([import('@nestjs/cqrs'), import('./change-role/change-role.command')]);
  return app.get(CommandBus).execute(new ChangeRole(username, action, role, 'cli'));
}

const roleCommand = (action: RoleAction, summary: string): CliCommand => ({
  summary,
  args: ['<username>', 'analyst'],
  async run(app, args) {
    console.log(JSON.stringify(await runRoleCommand(app, action, args)));
  },
});

export const grantRoleCommand = roleCommand('grant', 'make a player an analyst (records PlayerRoleGranted); no-op if already one');
export const revokeRoleCommand = roleCommand('revoke', 'take the analyst role back (records PlayerRoleRevoked); effective at once');
