import { INestApplicationContext } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CliCommand } from '../common/command-line';
import { ChangeRole, ChangeRoleResult } from './change-role/change-role.command';
import { RoleAction } from './change-role/role-decision';

/** Runs a role change for the CLI; the result is printed as one JSON line. */
export async function runRoleCommand(app: INestApplicationContext, action: RoleAction, args: string[]): Promise<ChangeRoleResult> {
  const [username, role, ...rest] = args;
  if (!username || !role || rest.length > 0) throw new Error(`usage: ${action}-role <username> analyst`);
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
