import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { AccessTokens } from '../auth/access-tokens';
import { AuthService } from '../auth/auth.service';
import { isUuid } from '../players/player-ids';

export const NEEDS_ANALYST = 'the monitor needs the analyst role; an operator grants it with: npm run cli -- grant-role <username> analyst';

/**
 * Operators are analysts. The role is read from the database on every request, so a
 * revoked analyst stops seeing the monitor at once, not when the token expires.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly accounts: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const claims = this.tokens.verify(AccessTokens.fromAuthorizationHeader(request.headers.authorization));
    if (!claims || !isUuid(claims.id)) throw new UnauthorizedException('a valid access token is required: Authorization: Bearer <token> from POST /auth/login');
    const account = await this.accounts.account(claims.id);
    if (!account) throw new UnauthorizedException('the access token belongs to an account that no longer exists');
    if (account.role !== 'analyst') throw new ForbiddenException(NEEDS_ANALYST);
    return true;
  }
}
