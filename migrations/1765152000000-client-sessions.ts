import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * client_sessions: the highest seq recorded per player and resumable session
 * (auth.clientSession), kept inline by the statement that appends the movements, so it is
 * never behind them. It answers `welcome.resume.lastSeq` and lets a writer that lost a
 * version race find out which resent positions are already stored. Movements recorded
 * before this table existed carry no client session, so there is nothing to carry over.
 */
export class ClientSessions1765152000000 implements MigrationInterface {
  name = 'ClientSessions1765152000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE client_sessions (
        player_id uuid NOT NULL,
        client_session text NOT NULL,
        last_seq bigint NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (player_id, client_session)
      ) WITH (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE client_sessions`);
  }
}
