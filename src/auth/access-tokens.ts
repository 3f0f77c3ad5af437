import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { SETTINGS, Settings } from '../config/settings';
import { Role } from '../players/player-lifecycle.events';
import { AuthenticatedPlayer } from './authenticated-player';

interface AccessTokenClaims {
  sub: string;
  username: string;
  role: Role;
}

/** Issues and checks the Bearer tokens used by HTTP and Socket.IO alike. */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly jwt: JwtService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  get expiresInSeconds(): number {
    return this.settings.jwt.expiresInSeconds;
  }

  issue(player: AuthenticatedPlayer): Promise<string> {
    const claims: AccessTokenClaims = { sub: player.id, username: player.username, role: player.role };
    return this.jwt.signAsync(claims);
  }

  /** The player a token speaks for, or null when it is missing, forged, malformed or expired. */
  verify(token: string | undefined | null): AuthenticatedPlayer | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return null;
    try {
      const claims = this.jwt.verify<AccessTokenClaims>(token, { algorithms: ['HS256'] });
      if (typeof claims.sub !== 'string' || typeof claims.username !== 'string') return null;
      return { id: claims.sub, username: claims.username, role: claims.role === 'analyst' ? 'analyst' : 'player' };
    } catch {
      return null;
    }
  }

  /** The token of an `Authorization: Bearer <token>` header value. */
  static fromAuthorizationHeader(header: string | undefined): string | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return match ? match[1] : null;
  }
}
