// SQL of the event store, beside the TypeScript that runs it. Nothing else touches `events`.

const RECORDED_COLUMNS = `global_position::text AS "globalPosition", stream_id AS "streamId",
  stream_version::int AS "streamVersion", type, schema_version AS "schemaVersion", data, metadata,
  recorded_at AS "recordedAt", transaction_id::text AS "transactionId"`;

/** Single-writer append of many streams in one round trip; versions are assigned by the caller. */
export const APPEND_BATCH = `
  INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
  SELECT s, v, t, sv, d, m, $7::timestamptz
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::smallint[], $5::jsonb[], $6::jsonb[]) AS e(s, v, t, sv, d, m)
  RETURNING global_position::text AS "globalPosition", stream_id AS "streamId", stream_version::int AS "streamVersion",
            transaction_id::text AS "transactionId"`;

/**
 * Append to one stream after its current last version. With an expected version the
 * insert happens only if the stream is exactly there; the primary key catches a race.
 */
export const APPEND_TO_STREAM = `
  WITH current AS (
    SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = $1
  )
  INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)
  SELECT $1, current.version + e.ord, e.t, e.sv, e.d, e.m
  FROM current, unnest($2::text[], $3::smallint[], $4::jsonb[], $5::jsonb[]) WITH ORDINALITY AS e(t, sv, d, m, ord)
  WHERE $6::bigint IS NULL OR current.version = $6::bigint
  RETURNING global_position::text AS "globalPosition", stream_version::int AS "streamVersion"`;

export const STREAM_VERSIONS = `
  SELECT stream_id AS "streamId", max(stream_version)::int AS version
  FROM events WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`;

export const LAST_EVENT_OF_STREAM = `
  SELECT ${RECORDED_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`;

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
