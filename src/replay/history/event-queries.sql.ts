// Read SQL for replays: time ranges in recorded order and "state as of an instant".
// Beside the TypeScript that runs it (event-store.queries.ts); nothing else reads `events`.
//
// Recorded order is (recorded_at, global_position). A cursor is a global position; the
// range continues right after that event in recorded order, so the row comparison
// against the cursor's own (recorded_at, global_position) is an index condition on
// events_stream_recorded_idx (one stream) or events_recorded_position_idx (all streams).
//
// The range reads take an optional `join` (a caller's export spec may name one, see
// ExportSpec.join): a LEFT JOIN to a table keyed by the event row, whose columns the
// selected expressions may read. It neither adds nor removes rows, so the order and the
// LIMIT are the range's own.

/**
 * The columns of readRange (events as rows, for tools and tests; the API's pages and
 * exports are written as text by PostgreSQL, see event-store.export.sql.ts).
 * recorded_at leaves as ISO 8601 text (UTC, milliseconds, as Date#toISOString writes it).
 */
export const RANGE_COLUMNS = `global_position::text AS "globalPosition", stream_id AS "streamId",
  stream_version::int AS "streamVersion", metadata->>'eventId' AS "eventId", data,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "recordedAt"`;

/** Where a cursor points: the event at a global position. */
export const EVENT_AT_POSITION = `
  SELECT global_position::text AS "globalPosition", stream_id AS "streamId", type, recorded_at AS "recordedAt"
  FROM events WHERE global_position = $1`;

/**
 * The keyset condition shared by the range reads: after the cursor event ($1, a global
 * position, or null) and inside [from $2, to $3), both optional. The lower bound is ONE
 * row comparison, against the later of the cursor's (recorded_at, global_position) and
 * (from, 0) (positions start at 1, so "> (from, 0)" is "recorded_at >= from"): given a
 * row comparison and a separate `recorded_at >= from`, the b-tree may start its scan at
 * the weaker of the two and walk millions of index entries to reach the range.
 */
const AFTER_CURSOR_IN_RANGE = `
  (recorded_at, global_position) > (
    SELECT b.at, b.pos FROM (VALUES
      ((SELECT c.recorded_at FROM events c WHERE c.global_position = $1::bigint), $1::bigint),
      (coalesce($2::timestamptz, '-infinity'::timestamptz), 0::bigint)
    ) AS b(at, pos)
    WHERE b.at IS NOT NULL
    ORDER BY b.at DESC, b.pos DESC
    LIMIT 1)
  AND recorded_at < coalesce($3::timestamptz, 'infinity'::timestamptz)`;

/** One stream's events of one type in a time range, in recorded order. $4 type, $5 stream, $6 limit. */
export const readStreamRangeSql = (columns: string, join = '') => `
  SELECT ${columns} FROM events${join}
  WHERE stream_id = $5 AND type = $4 AND ${AFTER_CURSOR_IN_RANGE}
  ORDER BY recorded_at, global_position
  LIMIT $6`;

/** Events of one type across every stream in a time range, in recorded order. $4 type, $5 limit. */
export const readAllRangeSql = (columns: string, join = '') => `
  SELECT ${columns} FROM events${join}
  WHERE type = $4 AND ${AFTER_CURSOR_IN_RANGE}
  ORDER BY recorded_at, global_position
  LIMIT $5`;

/**
 * Events of one type across a few streams ($5, text[]) in a time range, in recorded
 * order: each stream's next $6 rows by its own ordered index scan, then merged. The
 * work is bounded by streams × limit whatever the streams' history length.
 */
export const readStreamsRangeSql = (columns: string, join = '') => `
  SELECT ${columns} FROM unnest($5::text[]) AS s(wanted)
  CROSS JOIN LATERAL (
    SELECT global_position, stream_id, stream_version, type, data, metadata, recorded_at FROM events
    WHERE stream_id = s.wanted AND type = $4 AND ${AFTER_CURSOR_IN_RANGE}
    ORDER BY recorded_at, global_position
    LIMIT $6
  ) e${join}
  ORDER BY recorded_at, global_position
  LIMIT $6`;

/**
 * Events of one type across many streams ($5, text[]) in a time range, in recorded
 * order; the planner walks the time index and filters, or sorts the streams' rows.
 */
export const readManyStreamsRangeSql = (columns: string, join = '') => `
  SELECT ${columns} FROM events${join}
  WHERE type = $4 AND stream_id = ANY($5::text[]) AND ${AFTER_CURSOR_IN_RANGE}
  ORDER BY recorded_at, global_position
  LIMIT $6`;

/** A state row: its stream, and the event as the caller's JSON object expression (see jsonObjectSql). */
const stateColumns = (json: string) => `stream_id AS "streamId", ${json} AS json`;

/**
 * The newest event of type $1 of each stream among the $3 newest events (of any type)
 * recorded at or before the instant $2, as the caller's JSON object expression `json`,
 * and whether that window reached the first event (`exhaustive`: fewer than $3 events
 * lie at or before the instant, so a stream absent here has no event of type $1 by
 * then). One row: the streams as a JSON array and their objects joined by newlines, in
 * the same order (both aggregates see the same rows in turn; a JSON object written by
 * jsonObjectSql holds no raw newline), so that 10,000 states cross to the server as two
 * strings rather than 10,000 rows to decode.
 *
 * A world snapshot needs each player's latest movement before an instant. Probing every
 * stream's index backwards touches one random leaf page (and heap page) per stream:
 * ~20,000 scattered pages for 10,000 players. But most of the answer is in the newest
 * events before the instant, and those are adjacent in events_recorded_position_idx and
 * in the heap (append-only, in time order), so this reads a few hundred adjacent pages.
 * Exact: every event of a stream inside the window is newer than all of its events
 * before the window.
 *
 * The window is read forwards, from its oldest event: `bound` first counts $3 entries
 * back from the instant in the time index alone (an index-only scan, ~80 leaf pages for
 * 20,000 events; pages not yet marked all-visible by VACUUM, the newest ones, cost a
 * heap visit each), then `scanned` reads the rows from there on in order. Read backwards, as the window is
 * defined, the heap pages came from disk one 8 kB read at a time, for the kernel reads
 * ahead only forwards: a snapshot whose instant was not in the page cache took 135 ms
 * in SQL against 50 ms read forwards (docs/performance.md, "The snapshot's window read
 * forwards"). One statement sees one snapshot of the table, so `scanned` finds exactly
 * the rows `bound` counted; its LIMIT never cuts, and keeps the planner on the ordered
 * index scan.
 *
 * The newest of each stream is picked by grouping in "C" collation (grouping needs no
 * locale order, and it sorts far faster); the winners are fetched by row address (ctid):
 * one heap visit each instead of an index descent, safe within one statement as events
 * is append-only. $4 (0 or 1, or null for all) keeps one half of the streams, by hash:
 * two backends can then share the sorting and the JSON, which are most of the time, each
 * scanning the window itself (each stream is answered by exactly one of them).
 */
export const newestPerStreamBeforeSql = (json: string) => `
  WITH bound AS (
    SELECT recorded_at, global_position FROM events
    WHERE recorded_at <= $2::timestamptz
    ORDER BY recorded_at DESC, global_position DESC
    OFFSET $3::int - 1 LIMIT 1
  ),
  scanned AS MATERIALIZED (
    SELECT stream_id, recorded_at, global_position, ctid AS row_id FROM events
    WHERE type = $1 AND recorded_at <= $2::timestamptz AND (recorded_at, global_position) >= (
      SELECT coalesce(b.recorded_at, '-infinity'::timestamptz), coalesce(b.global_position, 0)
      FROM (SELECT) AS one LEFT JOIN bound b ON true)
    ORDER BY recorded_at, global_position
    LIMIT $3
  ),
  newest AS (
    SELECT DISTINCT ON (stream_id COLLATE "C") row_id FROM scanned
    WHERE $4::int IS NULL OR (hashtext(stream_id) & 1) = $4
    ORDER BY stream_id COLLATE "C", recorded_at DESC, global_position DESC
  )
  SELECT coalesce(json_agg(stream_id), '[]')::text AS "streamIds", coalesce(string_agg(json, E'\n'), '') AS jsons,
         count(*)::int AS count, NOT EXISTS (SELECT FROM bound) AS exhaustive
  FROM (SELECT stream_id, ${json} AS json FROM events WHERE ctid = ANY(ARRAY(SELECT row_id FROM newest))) AS state`;

/**
 * The latest event of type $2 recorded at or before $3 in each stream of $1 (a JSON
 * array of ids: for thousands of ids cheaper than a text[] parameter): one backward
 * probe of events_stream_recorded_idx per stream. For the streams a window missed.
 */
export const latestOfStreamsAtSql = (json: string) => `
  SELECT ${stateColumns(json)} FROM json_array_elements_text($1::json) AS s(wanted)
  CROSS JOIN LATERAL (
    SELECT stream_id, global_position, data, metadata, recorded_at FROM events
    WHERE stream_id = s.wanted AND type = $2 AND recorded_at <= $3::timestamptz
    ORDER BY recorded_at DESC, global_position DESC
    LIMIT 1
  ) e`;
