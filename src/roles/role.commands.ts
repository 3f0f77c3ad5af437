import { INestApplicationContext } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ChangeRole, ChangeRoleResult } from './change-role/change-role.command';
import { RoleAction } from './change-role/role-decision';

/** Shaped like src/cli.ts's CliCommand. */
export interface RoleCliCommand {
  usage: string;
  summary: string;
  run(app: INestApplicationContext, args: string[]): Promise<void>;
}

/** Runs a role change for the CLI; the result is printed as one JSON line. */
export async function runRoleCommand(app: INestApplicationContext, action: RoleAction, args: string[]): Promise<ChangeRoleResult> {
  const [username, role, ...rest] = args;
  if (!username || !role || rest.length > 0) throw new Error(`usage: ${action}-role <username> analyst`);
  return app.get(CommandBus).execute(new ChangeRole(username, action, role, 'cli'));
}

const roleCommand = (action: RoleAction, summary: string): RoleCliCommand => ({
  usage: `${action}-role <username> analyst`,
  summary,
  async run(app, args) {
    console.log(JSON.stringify(await runRoleCommand(app, action, args)));
  },
});

export const grantRoleCommand = roleCommand('grant', 'make a player an analyst (records PlayerRoleGranted); no-op if already one');
export const revokeRoleCommand = roleCommand('revoke', 'take the analyst role back (records PlayerRoleRevoked); effective at once');
