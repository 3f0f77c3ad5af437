import type { Account } from '../../auth/auth.service';

/** Who is reading: the token's player, with the role the database holds now. */
export type Reader = Account;

/** What a request reads: everything (the world, every player), or the history of some players. */
export type ReadScope = { kind: 'everyone' } | { kind: 'players'; ids: string[] };

/**
 * Analysts read everything; a player reads only their own position and history.
 * Returns why not, or null when the read is allowed.
 */
export function refuseRead(reader: Reader, scope: ReadScope): string | null {
  if (reader.role === 'analyst') return null;
  if (scope.kind === 'everyone') return 'only analysts may read other players; a player reads only their own position and history';
  const others = scope.ids.filter((id) => id.toLowerCase() !== reader.id.toLowerCase());
  if (scope.ids.length === 0 || others.length > 0) return 'a player may read only their own position and history';
  return null;
}
