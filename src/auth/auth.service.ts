import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventMetadata } from '../common/event-metadata';
import { EventStore, isUniqueViolation } from '../event-store';
import { PlayerLifecycleEvent, Role } from '../players/player-lifecycle.events';
import { playerStreamId } from '../players/player-streams';
import { isUuid } from '../players/player-ids';
import { ACCOUNT_BY_ID, FIND_PLAYER_BY_USERNAME, INSERT_PLAYER } from '../players/players.sql';
import { AccessTokens } from './access-tokens';
import { LoginResponse, RegisteredPlayer } from './auth.dto';
import { PasswordHasher } from './password-hasher';

/** An account as it stands now. */
export interface Account {
  id: string;
  username: string;
  role: Role;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventStore,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokens,
  ) {}

  async register(username: string, password: string): Promise<RegisteredPlayer> {
    const id = randomUUID();
    const passwordHash = await this.hasher.hash(password);
    try {
      // The account row and its PlayerRegistered event commit together or not at all.
      await this.dataSource.transaction(async (tx) => {
        await tx.query(INSERT_PLAYER, [id, username, passwordHash]);
        await this.events.appendToStream(
          playerStreamId(id),
          [{ streamId: playerStreamId(id), type: PlayerLifecycleEvent.Registered, data: { username }, metadata: eventMetadata(id) }],
          0,
          tx,
        );
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`username "${username}" is taken; choose another`);
      throw error;
    }
    return { id, username };
  }

  /**
   * The account a verified token names, as it stands now: null if there is none. Its
   * role is read here rather than from the token so that a grant or a revoke applies at
   * once; and tokens outlive accounts: the server never removes one, but one removed by
   * hand must not go on reading or connecting.
   */
  async account(playerId: string): Promise<Account | null> {
    if (!isUuid(playerId)) return null;
    const [account]: Account[] = await this.dataSource.query(ACCOUNT_BY_ID, [playerId]);
    return account ?? null;
  }

  async login(username: string, password: string): Promise<LoginResponse> {
    const rows: { id: string; username: string; passwordHash: string; role: Role }[] = await this.dataSource.query(
      FIND_PLAYER_BY_USERNAME,
      [username],
    );
    const player = rows[0];
    const valid = await this.hasher.verify(player?.passwordHash ?? null, password);
    if (!player || !valid) throw new UnauthorizedException('invalid username or password');
    const identity = { id: player.id, username: player.username, role: player.role };
    return {
      accessToken: await this.tokens.issue(identity),
      tokenType: 'Bearer',
      expiresIn: this.tokens.expiresInSeconds,
      player: identity,
    };
  }
}
