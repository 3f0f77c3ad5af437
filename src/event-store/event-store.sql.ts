import { BATCH_ROWS } from './event-columns';

// SQL of the event store, beside the TypeScript that runs it. Nothing else touches `events`.

const RECORDED_COLUMNS = `global_position::text AS "globalPosition", stream_id AS "streamId",
  stream_version::int AS "streamVersion", type, schema_version AS "schemaVersion", data, metadata,
  recorded_at AS "recordedAt", transaction_id::text AS "transactionId"`;

/**
 * The lock every appending transaction holds, shared, from before it reads the clock for
 * recorded_at until it ends: PostgreSQL's list of locks is the one place where other
 * sessions can see an append that has not committed. Two int4 keys: Waypoint's "appending"
 * and the schema, so worlds sharing a database do not wait on each other's appends.
 * See src/replay/history/live-edge.ts for the readers' side.
 */
export const APPENDING_LOCK_KEY = { waypoint: `hashtext('waypoint:appending')`, schema: `hashtext(current_schema())` };
const APPENDING_LOCK_KEYS = `${APPENDING_LOCK_KEY.waypoint}, ${APPENDING_LOCK_KEY.schema}`;

/**
 * recorded_at of an append: the database's clock, in milliseconds (the API's precision,
 * so an instant read off an answer finds the event), read only once the appending lock is
 * held. Every node then stamps events with one clock, and an event still uncommitted has
 * a recorded_at no earlier than its transaction's start, which is what lets a reader know
 * where history can no longer change (src/replay/history/live-edge.ts). OFFSET 0 keeps the lock's subquery
 * from being merged into the outer one, so the lock is taken before the clock is read.
 */
const APPENDING_AT = `appending AS MATERIALIZED (
    SELECT date_trunc('milliseconds', clock_timestamp()) AS recorded_at
    FROM (SELECT pg_advisory_xact_lock_shared(${APPENDING_LOCK_KEYS}) OFFSET 0) AS locked
  )`;

/**
 * Single-writer append of many streams in one statement, one round trip and one commit;
 * versions are assigned by the caller. The appended rows are visible to the inline
 * projections as the relation `appended` (see InlineProjection), so their writes commit
 * with the events or not at all. Answers how many rows it appended and their recorded_at.
 */
export function appendBatchSql(projectionSql: string[]): string {
  const projections = projectionSql.map((sql, i) => `, projection_${i} AS (${sql})`).join('');
  return `
  WITH ${APPENDING_AT}, appended AS (
    INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
    SELECT s, v, t, sv, d, m, appending.recorded_at
    FROM ${BATCH_ROWS}, appending
    RETURNING ${APPENDED_COLUMNS}
  )${projections}
  SELECT count(*)::int AS appended, (SELECT recorded_at FROM appending) AS "recordedAt" FROM appended`;
}

/** The columns inline projections read from `appended`, appended live or replayed. */
const APPENDED_COLUMNS = `stream_id, stream_version, type, data, recorded_at, global_position`;

/**
 * One page of "everything after my checkpoint" run through projections, for rebuilds:
 * the page is the relation `appended`, exactly as in a live append. Returns the page's
 * size and its last (transaction id, position), the next checkpoint.
 */
export function projectPageSql(projectionSql: string[]): string {
  const projections = projectionSql.map((sql, i) => `, projection_${i} AS (${sql})`).join('');
  return `
  WITH page AS (
    SELECT ${APPENDED_COLUMNS}, transaction_id FROM events
    WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      AND type = ANY($4::text[])
    ORDER BY transaction_id, global_position
    LIMIT $3
  ), appended AS (SELECT ${APPENDED_COLUMNS} FROM page)${projections}
  SELECT count(*) OVER ()::int AS events, transaction_id::text AS "transactionId", global_position::text AS "globalPosition"
  FROM page ORDER BY transaction_id DESC, global_position DESC LIMIT 1`;
}

/**
 * Append to one stream after its current last version. With an expected version the
 * insert happens only if the stream is exactly there; the primary key catches a race.
 */
export const APPEND_TO_STREAM = `
  WITH ${APPENDING_AT}, current AS (
    SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = $1
  )
  INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
  SELECT $1, current.version + e.ord, e.t, e.sv, e.d, e.m, appending.recorded_at
  FROM appending, current, unnest($2::text[], $3::smallint[], $4::jsonb[], $5::jsonb[]) WITH ORDINALITY AS e(t, sv, d, m, ord)
  WHERE $6::bigint IS NULL OR current.version = $6::bigint
  RETURNING global_position::text AS "globalPosition", stream_version::int AS "streamVersion"`;

export const STREAM_VERSIONS = `
  SELECT stream_id AS "streamId", max(stream_version)::int AS version
  FROM events WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`;

/**
 * With its age on the database's clock, the clock recorded_at was stamped with: a node
 * whose own clock is skewed from it can still tell how long ago the event happened.
 */
export const LAST_EVENT_OF_STREAM = `
  SELECT ${RECORDED_COLUMNS}, (extract(epoch FROM clock_timestamp() - recorded_at) * 1000)::float8 AS "ageMs"
  FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`;

export const READ_STREAM = `
  SELECT ${RECORDED_COLUMNS} FROM events
  WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version LIMIT $3`;

/**
 * "Everything after my checkpoint", safe against the sequence-gap bug: rows of
 * transactions still running (or younger than the oldest one running) are not
 * visible yet, so only transactions older than the snapshot's xmin are read,
 * in (transaction id, position) order. Emmett does the same.
 */
export const READ_ALL_AFTER = `
  SELECT ${RECORDED_COLUMNS} FROM events
  WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
    AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    AND ($4::text[] IS NULL OR type = ANY($4::text[]))
  ORDER BY transaction_id, global_position
  LIMIT $3`;

export const LAST_GLOBAL_POSITION = `SELECT coalesce(max(global_position), 0)::text AS "position" FROM events`;

/** Are there events up to `upTo` that a reader at `checkpoint` has not read yet (committed or not)? */
export const UNREAD_UP_TO = `
  SELECT EXISTS (
    SELECT 1 FROM events
    WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
      AND global_position <= $3::bigint
      AND ($4::text[] IS NULL OR type = ANY($4::text[]))
  ) AS "unread"`;
