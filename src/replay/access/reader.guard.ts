import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AccessTokens } from '../../auth/access-tokens';
import { AuthService } from '../../auth/auth.service';
import { isUuid } from '../../players/player-ids';
import { ReadScope, Reader, refuseRead } from './read-access';

/** How a route's scope is found in its request. */
export type ScopeOf = (request: Request) => ReadScope;

const SCOPE = Symbol('replay:read-scope');

/** The route reads the world or every player: analysts only. */
export const ReadsEveryone = () => SetMetadata(SCOPE, ((): ReadScope => ({ kind: 'everyone' })) satisfies ScopeOf);

/** The route reads the player named by its `:id`. */
export const ReadsPlayerParam = () =>
  SetMetadata(SCOPE, ((request: Request): ReadScope => ({ kind: 'players', ids: [String(request.params.id)] })) satisfies ScopeOf);

/** The route reads the players of its `players` query parameter, or everyone when it is left out. */
export const ReadsPlayersQuery = () =>
  SetMetadata(SCOPE, ((request: Request): ReadScope => {
    const players = request.query.players;
    if (typeof players !== 'string') return { kind: 'everyone' };
    return { kind: 'players', ids: players.split(',').map((s) => s.trim()) };
  }) satisfies ScopeOf);

type ReaderRequest = Request & { reader?: Reader };

/**
 * Bearer token → the player, whose role is read from the database on every request
 * (one primary-key lookup): a revoked analyst loses access at once, not when the token
 * expires, and a deleted account's tokens stop working. 401 without a valid token,
 * 403 when the role does not allow the route's scope.
 */
@Injectable()
export class ReaderGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly accounts: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ReaderRequest>();
    const claims = this.tokens.verify(AccessTokens.fromAuthorizationHeader(request.headers.authorization));
    if (!claims || !isUuid(claims.id)) throw new UnauthorizedException('a valid access token is required: Authorization: Bearer <token> from POST /auth/login');
    const account: Reader | null = await this.accounts.account(claims.id);
    if (!account) throw new UnauthorizedException('the access token belongs to an account that no longer exists');
    request.reader = account;
    const scopeOf = this.reflector.get<ScopeOf | undefined>(SCOPE, context.getHandler());
    const refusal = refuseRead(account, scopeOf ? scopeOf(request) : { kind: 'everyone' });
    if (refusal) throw new ForbiddenException(refusal);
    return true;
  }
}

/** The reader the guard authenticated. */
export const CurrentReader = createParamDecorator((_: unknown, context: ExecutionContext): Reader => {
  return context.switchToHttp().getRequest<ReaderRequest>().reader!;
});
