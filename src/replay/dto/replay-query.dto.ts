import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { isUuid } from '../../players/player-ids';
import { IsIsoInstant, parseIsoInstant } from './iso-instant';

export const MAX_PAGE_SIZE = 10_000;
export const DEFAULT_PAGE_SIZE = 1_000;
/** Most players one cross-player range may name. */
export const MAX_PLAYERS_PER_RANGE = 1_000;

const CURSOR = /^[1-9][0-9]{0,18}$/;
const LIMIT = /^[0-9]{1,6}$/;

/** `from`, `to`, `after` and `limit` of the movement endpoints. Values stay strings here; see toMovementRange. */
export class MovementRangeQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601; movements recorded at or after this instant', example: '2025-11-26T10:00:00Z' })
  @IsOptional()
  @IsIsoInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; movements recorded before this instant (exclusive)', example: '2025-11-26T11:00:00Z' })
  @IsOptional()
  @IsIsoInstant()
  to?: string;

  @ApiPropertyOptional({ description: 'cursor: the `position` of the last movement already read (a page\'s `nextCursor`)', example: '1234567' })
  @IsOptional()
  @IsString({ message: 'after must be given once' })
  @Matches(CURSOR, { message: 'after must be a cursor: the `position` of a movement (a positive whole number), as in nextCursor' })
  after?: string;

  @ApiPropertyOptional({ description: `page size, 1 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}. Ignored by streamed exports, which return the whole range`, example: 1000 })
  @IsOptional()
  @IsString({ message: 'limit must be given once' })
  @Matches(LIMIT, { message: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  limit?: string;
}

export class PlayersRangeQueryDto extends MovementRangeQueryDto {
  @ApiPropertyOptional({
    description: `comma-separated player ids (at most ${MAX_PLAYERS_PER_RANGE}); all players when left out`,
    example: '7b0c…,a91e…',
  })
  @IsOptional()
  @IsString({ message: 'players must be given once, as comma-separated ids' })
  players?: string;
}

export class SnapshotQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601 instant; now when left out', example: '2025-11-26T10:30:00Z' })
  @IsOptional()
  @IsIsoInstant()
  at?: string;
}

/** A validated time range and page of the movement endpoints. */
export interface MovementRangeRequest {
  from: Date | null;
  to: Date | null;
  after: string | null;
  limit: number;
}

/** The checks across fields and the conversions the decorators leave to code: 400 on failure. */
export function toMovementRange(query: MovementRangeQueryDto): MovementRangeRequest {
  const from = query.from === undefined ? null : parseIsoInstant(query.from)!;
  const to = query.to === undefined ? null : parseIsoInstant(query.to)!;
  if (from && to && from.getTime() > to.getTime()) {
    throw new BadRequestException(`from (${from.toISOString()}) is after to (${to.toISOString()}); swap them or widen the range`);
  }
  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
  if (limit < 1 || limit > MAX_PAGE_SIZE) throw new BadRequestException(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}; got ${query.limit}`);
  if (query.after !== undefined && BigInt(query.after) > 9_223_372_036_854_775_807n) {
    throw new BadRequestException(`after: ${query.after} is not a position of this event store`);
  }
  return { from, to, after: query.after ?? null, limit };
}

/** The `players` list: distinct, well-formed ids; 400 otherwise. */
export function toPlayerIds(players: string | undefined): string[] | null {
  if (players === undefined) return null;
  const ids = [...new Set(players.split(',').map((s) => s.trim().toLowerCase()))];
  if (ids.length === 0 || ids.some((id) => id === '')) throw new BadRequestException('players must be comma-separated player ids, none empty');
  const malformed = ids.filter((id) => !isUuid(id));
  if (malformed.length > 0) {
    throw new BadRequestException(`players: ${malformed.slice(0, 3).map((id) => JSON.stringify(id)).join(', ')} ${malformed.length === 1 ? 'is not a player id' : 'are not player ids'} (ids are UUIDs)`);
  }
  if (ids.length > MAX_PLAYERS_PER_RANGE) throw new BadRequestException(`players: at most ${MAX_PLAYERS_PER_RANGE} ids per request; got ${ids.length}`);
  return ids;
}
