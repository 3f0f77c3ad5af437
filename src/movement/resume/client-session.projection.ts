import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InlineProjection } from '../../event-store';
import { PLAYER_MOVED } from '../position';
import { LAST_SEQS, UPSERT_CLIENT_SESSIONS } from './client-session.sql';

/**
 * client_sessions: the highest seq recorded per player and resumable session, written in
 * the statement that appends the movements (so a resend is never recorded twice, across
 * reconnects, restarts and nodes), and read when a session starts and when a writer lost
 * a version race.
 */
@Injectable()
export class ClientSessionProjection implements InlineProjection {
  readonly name = 'client_sessions';
  readonly eventTypes = [PLAYER_MOVED];
  readonly sql = UPSERT_CLIENT_SESSIONS;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Highest recorded seq per `${playerId} ${clientSession}` asked for (absent: none recorded). */
  async lastSeqs(asked: { playerId: string; clientSession: string }[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (asked.length === 0) return found;
    const rows: { playerId: string; clientSession: string; lastSeq: number }[] = await this.dataSource.query(LAST_SEQS, [
      asked.map((a) => a.playerId),
      asked.map((a) => a.clientSession),
    ]);
    for (const row of rows) found.set(resumeKey(row.playerId, row.clientSession), row.lastSeq);
    return found;
  }
}

export const resumeKey = (playerId: string, clientSession: string): string => `${playerId} ${clientSession}`;
