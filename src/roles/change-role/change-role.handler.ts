import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { eventMetadata } from '../../common/event-metadata';
import { ConcurrencyError, EventStore } from '../../event-store';
import { Role } from '../../players/player-lifecycle.events';
import { playerStreamId } from '../../players/player-streams';
import { SET_PLAYER_ROLE } from '../../players/players.sql';
import { LOCK_PLAYER_BY_USERNAME } from '../roles.sql';
import { ChangeRole, ChangeRoleResult } from './change-role.command';
import { decideRoleChange } from './role-decision';

export class UnknownUsername extends Error {
  constructor(readonly username: string) {
    super(`no player named "${username}"`);
  }
}

/**
 * players.role and the PlayerRoleGranted/Revoked event commit in one transaction, so
 * the history never disagrees with the account. The lifecycle stream has other
 * writers (connects, disconnects): losing the race for a version retries the whole
 * transaction, which re-reads the role under its row lock.
 */
@CommandHandler(ChangeRole)
export class ChangeRoleHandler implements ICommandHandler<ChangeRole> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  async execute(command: ChangeRole): Promise<ChangeRoleResult> {
    const correlationId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((tx) => this.change(command, correlationId, tx));
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < 5) continue;
        throw error;
      }
    }
  }

  private async change({ username, action, role, source }: ChangeRole, correlationId: string, tx: EntityManager): Promise<ChangeRoleResult> {
    const [player]: { id: string; username: string; role: Role }[] = await tx.query(LOCK_PLAYER_BY_USERNAME, [username]);
    if (!player) throw new UnknownUsername(username);
    const decision = decideRoleChange(player.role, action, role, source);
    if (!decision.changed) return { playerId: player.id, username: player.username, role: player.role, changed: false };
    await tx.query(SET_PLAYER_ROLE, [player.id, decision.role]);
    const streamId = playerStreamId(player.id);
    await this.store.appendToStream(streamId, [{ streamId, ...decision.event, metadata: eventMetadata(correlationId) }], 'any', tx);
    return { playerId: player.id, username: player.username, role: decision.role, changed: true };
  }
}
