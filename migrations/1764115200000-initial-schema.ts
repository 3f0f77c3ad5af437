import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store (append-only `events`), accounts, the last-position
 * projection and projection checkpoints.
 */
export class InitialSchema1764115200000 implements MigrationInterface {
  name = 'InitialSchema1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        global_position bigint GENERATED ALWAYS AS IDENTITY,
        stream_id       text        NOT NULL,
        stream_version  bigint      NOT NULL CHECK (stream_version > 0),
        type            text        NOT NULL,
        schema_version  smallint    NOT NULL DEFAULT 1,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL,
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        -- One row per stream version: optimistic concurrency for free.
        CONSTRAINT events_stream_version_pk PRIMARY KEY (stream_id, stream_version)
      )`);
    await q.query(`CREATE UNIQUE INDEX events_global_position_idx ON events (global_position)`);
    // Consumers read "after my checkpoint" in (transaction id, position) order.
    await q.query(`CREATE INDEX events_transaction_position_idx ON events (transaction_id, global_position)`);
    // Replays: one stream over a time range, and "latest in the stream at instant T".
    await q.query(`CREATE INDEX events_stream_recorded_idx ON events (stream_id, recorded_at, global_position)`);
    await q.query(`
      CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP;
      END $$`);
    await q.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_are_append_only()`);

    await q.query(`
      CREATE TABLE players (
        id            uuid        PRIMARY KEY,
        username      text        NOT NULL,
        password_hash text        NOT NULL,
        role          text        NOT NULL DEFAULT 'player' CHECK (role IN ('player', 'analyst')),
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX players_username_idx ON players (lower(username))`);

    await q.query(`
      CREATE TABLE last_positions (
        player_id       uuid             PRIMARY KEY REFERENCES players (id),
        x               double precision NOT NULL,
        y               double precision NOT NULL,
        z               double precision NOT NULL,
        heading         double precision NOT NULL,
        seq             bigint,
        stream_version  bigint           NOT NULL,
        global_position bigint           NOT NULL,
        recorded_at     timestamptz      NOT NULL
      )`);

    await q.query(`
      CREATE TABLE projection_checkpoints (
        name            text        PRIMARY KEY,
        transaction_id  xid8        NOT NULL DEFAULT '0',
        global_position bigint      NOT NULL DEFAULT 0,
        rebuilding      boolean     NOT NULL DEFAULT false,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE projection_checkpoints`);
    await q.query(`DROP TABLE last_positions`);
    await q.query(`DROP TABLE players`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP FUNCTION events_are_append_only`);
  }
}
