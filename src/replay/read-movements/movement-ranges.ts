import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventQueries, EventRange } from '../history';
import { PLAYER_MOVED } from '../../movement/position';
import { movementStreamId } from '../../players/player-streams';
import { isUuid } from '../../players/player-ids';
import { MovementRangeRequest } from '../dto/replay-query.dto';
import { PLAYERS_BY_IDS } from '../replay.sql';

/**
 * Turns a validated request into an event-store range: every named player must exist
 * (404 otherwise) and the cursor must be a movement of the range's players (400
 * otherwise), so a mistyped cursor never silently restarts or skips a range.
 */
@Injectable()
export class MovementRanges {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventQueries,
  ) {}

  /** `playerIds` null = every player. */
  async resolve(playerIds: string[] | null, request: MovementRangeRequest): Promise<EventRange> {
    // Ids are UUIDs, whose text is case-insensitive; stream ids hold them in lower case.
    const ids = playerIds === null ? null : [...new Set(playerIds.map((id) => id.toLowerCase()))];
    if (ids !== null) await this.requirePlayers(ids);
    const streamIds = ids === null ? null : ids.map(movementStreamId);
    if (request.after !== null) await this.requireCursor(request.after, streamIds);
    return { type: PLAYER_MOVED, streamIds, from: request.from, to: request.to, after: request.after };
  }

  /** 404 unless every id (lower case) names a player. */
  async requirePlayers(ids: string[]): Promise<void> {
    const wellFormed = ids.filter(isUuid);
    const rows: { id: string }[] = wellFormed.length ? await this.dataSource.query(PLAYERS_BY_IDS, [wellFormed]) : [];
    const known = new Set(rows.map((r) => r.id.toLowerCase()));
    const unknown = ids.filter((id) => !known.has(id.toLowerCase()));
    if (unknown.length === 1) throw new NotFoundException(`no player with id ${unknown[0]}`);
    if (unknown.length > 1) throw new NotFoundException(`no players with ids ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`);
  }

  private async requireCursor(after: string, streamIds: string[] | null): Promise<void> {
    const event = await this.events.eventAt(after);
    if (!event || event.type !== PLAYER_MOVED) {
      throw new BadRequestException(`after: there is no movement at position ${after}; use a \`position\` or \`nextCursor\` from an earlier answer`);
    }
    if (streamIds !== null && !streamIds.includes(event.streamId)) {
      throw new BadRequestException(`after: the movement at position ${after} is not one of the requested player${streamIds.length > 1 ? 's' : ''}`);
    }
  }
}
