import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * last_positions is rewritten all the time: every online player's row once per batch.
 * When one transaction updates a page's rows in several statements (a batch appended in
 * parts), their old versions cannot be pruned until it commits, and with full pages there
 * is no room for a new version on the row's own page: every update is then non-HOT (a new
 * primary-key entry, a row moved to another page, bloat for autovacuum), measured at 0 %
 * HOT. Half-full pages leave room for a second version of every row, so each update stays
 * on its page and skips the index (100 % HOT; PostgreSQL CPU per movement 10-15 % lower:
 * docs/performance.md, "Room for HOT updates in last_positions"). The table has one row
 * per player, so doubling it costs little.
 *
 * Existing pages are not rewritten; rows move to half-full pages as they are updated,
 * or at once with `VACUUM FULL last_positions` (or `npm run projections:rebuild`).
 */
export class LastPositionsRoomForHotUpdates1764806400000 implements MigrationInterface {
  name = 'LastPositionsRoomForHotUpdates1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE last_positions SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE last_positions RESET (fillfactor)`);
  }
}
