import { toColumns } from './event-columns';
import { ConcurrencyError, isUniqueViolation } from './event-store.errors';
import type { Queryable } from './event-store.service';
import { VersionedNewEvent } from './event-store.types';

/** An event of imported or generated history: it carries the time it was recorded. */
export interface HistoricalEvent<Data = unknown> extends VersionedNewEvent<Data> {
  recordedAt: Date;
}

/**
 * Bulk path for history (imports, the benchmark seed): one statement per chunk, one bind
 * parameter per column however many rows, nothing returned. The primary key still
 * guards stream versions; no inline projection runs, so the caller brings its read
 * models up to date afterwards (see seed-history).
 */
export const IMPORT_EVENTS = `
  INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
  SELECT s, v, t, sv, d, m, r
  FROM ROWS FROM (
      unnest($1::text[]), unnest($2::bigint[]), unnest($3::text[]), unnest($4::smallint[]),
      jsonb_array_elements($5::jsonb), jsonb_array_elements($6::jsonb), unnest($7::timestamptz[])
    ) AS e(s, v, t, sv, d, m, r)`;

/** Fresh planner statistics after a bulk load, so replays pick the right indexes. */
export const ANALYZE_EVENTS = `ANALYZE events`;

/** Also sets the visibility map and hint bits, so the first replays do not pay for them. */
export const VACUUM_ANALYZE_EVENTS = `VACUUM (ANALYZE) events`;

/**
 * Appends already-versioned historical events in one statement (use chunks of a few
 * tens of thousands). Raises ConcurrencyError, appending nothing, when a version is taken.
 * For loading history into a world before it goes live: the events keep the instants
 * they carry and take no appending lock, so a replay reading across players while an
 * import runs may already have passed them (see src/replay/history/live-edge.ts).
 */
export async function importEvents(tx: Queryable, events: HistoricalEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const columns = toColumns(events);
  const recordedAt = events.map((e) => e.recordedAt.toISOString());
  try {
    await tx.query(IMPORT_EVENTS, [...columns, recordedAt]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConcurrencyError([...new Set(columns[0])], 'a stream version is already taken');
    throw error;
  }
  return events.length;
}

/** Refreshes planner statistics (or also vacuums) after a bulk import; cannot run inside a transaction. */
export async function settleAfterImport(db: Queryable, vacuum: boolean): Promise<void> {
  await db.query(vacuum ? VACUUM_ANALYZE_EVENTS : ANALYZE_EVENTS);
}
