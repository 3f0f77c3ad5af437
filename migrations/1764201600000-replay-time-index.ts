import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replays across players (GET /movements and its exports) page through events in
 * recorded order, (recorded_at, global_position), with keyset conditions. A b-tree
 * gives that order directly, so a 10,000-event page is one short index range scan;
 * a BRIN on recorded_at would be smaller but cannot return rows in order, so every
 * page would sort its whole remaining range. New events land at the right edge of
 * this index (recorded_at only grows), the cheapest place to insert into a b-tree.
 *
 * On a large existing table this build blocks appends for its duration (about 10 s
 * per 10 M events on a 2-core machine); build it CONCURRENTLY by hand first if that
 * matters, the IF NOT EXISTS then makes this migration a no-op.
 */
export class ReplayTimeIndex1764201600000 implements MigrationInterface {
  name = 'ReplayTimeIndex1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS events_recorded_position_idx ON events (recorded_at, global_position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events_recorded_position_idx`);
  }
}
