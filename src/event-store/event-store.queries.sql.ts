// Read SQL for replays: time ranges in recorded order and "state as of an instant".
// Beside the TypeScript that runs it (event-store.queries.ts); nothing else reads `events`.
//
// Recorded order is (recorded_at, global_position). A cursor is a global position; the
// range continues right after that event in recorded order, so the row comparison
// against the cursor's own (recorded_at, global_position) is an index condition on
// events_stream_recorded_idx (one stream) or events_recorded_position_idx (all streams).

const RANGE_COLUMNS = `global_position::text AS "globalPosition", stream_id AS "streamId",
  stream_version::int AS "streamVersion", metadata->>'eventId' AS "eventId", data, recorded_at AS "recordedAt"`;

/** Where a cursor points: the event at a global position. */
export const EVENT_AT_POSITION = `
  SELECT global_position::text AS "globalPosition", stream_id AS "streamId", type, recorded_at AS "recordedAt"
  FROM events WHERE global_position = $1`;

/**
 * The keyset condition shared by the range reads: after the cursor event ($1, a global
 * position, or null for the start) and inside [from $2, to $3), both optional.
 * A missing cursor compares against (-infinity, 0), which every row passes.
 */
const AFTER_CURSOR_IN_RANGE = `
  (recorded_at, global_position) > (
    coalesce((SELECT c.recorded_at FROM events c WHERE c.global_position = $1::bigint), '-infinity'::timestamptz),
    coalesce($1::bigint, 0))
  AND recorded_at >= coalesce($2::timestamptz, '-infinity'::timestamptz)
  AND recorded_at < coalesce($3::timestamptz, 'infinity'::timestamptz)`;

/** One stream's events of one type in a time range, in recorded order. $4 type, $5 stream, $6 limit. */
export const READ_STREAM_RANGE = `
  SELECT ${RANGE_COLUMNS} FROM events
  WHERE stream_id = $5 AND type = $4 AND ${AFTER_CURSOR_IN_RANGE}
  ORDER BY recorded_at, global_position
  LIMIT $6`;

/** Events of one type across every stream in a time range, in recorded order. $4 type, $5 limit. */
export const READ_ALL_RANGE = `
  SELECT ${RANGE_COLUMNS} FROM events
  WHERE type = $4 AND ${AFTER_CURSOR_IN_RANGE}
  ORDER BY recorded_at, global_position
  LIMIT $5`;

/**
 * Events of one type across a few streams ($5, text[]) in a time range, in recorded
 * order: each stream's next $6 rows by its own ordered index scan, then merged. The
 * work is bounded by streams × limit whatever the streams' history length.
 */
export const READ_STREAMS_RANGE = `
  SELECT e.* FROM unnest($5::text[]) AS s(stream_id)
  CROSS JOIN LATERAL (
    SELECT ${RANGE_COLUMNS} FROM events
    WHERE events.stream_id = s.stream_id AND type = $4 AND ${AFTER_CURSOR_IN_RANGE}
    ORDER BY recorded_at, global_position
    LIMIT $6
  ) e
  ORDER BY e."recordedAt", e."globalPosition"::bigint
  LIMIT $6`;

/**
 * The latest event of one type ($2) in each stream ($1, text[]) recorded at or before
 * the instant $3: one backward scan of events_stream_recorded_idx per stream, stopping
 * at its first row. Streams without such an event are left out.
 */
export const LATEST_OF_STREAMS_AT = `
  SELECT s.stream_id AS "streamId", e.global_position::text AS "globalPosition", e.stream_version::int AS "streamVersion",
         e.metadata->>'eventId' AS "eventId", e.data, e.recorded_at AS "recordedAt"
  FROM unnest($1::text[]) AS s(stream_id)
  CROSS JOIN LATERAL (
    SELECT global_position, stream_version, metadata, data, recorded_at FROM events
    WHERE events.stream_id = s.stream_id AND type = $2 AND recorded_at <= $3::timestamptz
    ORDER BY recorded_at DESC, global_position DESC
    LIMIT 1
  ) e`;

/**
 * Events of one type across many streams ($5, text[]) in a time range, in recorded
 * order; the planner walks the time index and filters, or sorts the streams' rows.
 */
export const READ_MANY_STREAMS_RANGE = `
  SELECT ${RANGE_COLUMNS} FROM events
  WHERE type = $4 AND stream_id = ANY($5::text[]) AND ${AFTER_CURSOR_IN_RANGE}
  ORDER BY recorded_at, global_position
  LIMIT $6`;
