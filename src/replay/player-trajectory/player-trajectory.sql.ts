// SQL of GET /players/:id/trajectory: one player's path in a time range, as GeoJSON parts.

const ISO_AT = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One stream's ($1) movements ($2 type) in [$3, $4), up to $5 of them (the caller asks
 * for one more than it allows, to tell "too many" apart), in recorded order, as one row:
 * the count, and the JSON text of the coordinates ([x, y, z], z 0 when absent), the
 * times and the seqs (null when absent), each joined by commas. Numbers are the JSON
 * text they were stored as. events_stream_recorded_idx gives the rows in order.
 */
export const TRAJECTORY_PARTS = `
  SELECT count(*)::int AS count,
         coalesce(string_agg('[' || coalesce(data ->> 'x', 'null') || ',' || coalesce(data ->> 'y', 'null') || ',' || coalesce(data ->> 'z', '0') || ']', ',' ORDER BY recorded_at, global_position), '') AS coordinates,
         coalesce(string_agg('"' || ${ISO_AT} || '"', ',' ORDER BY recorded_at, global_position), '') AS times,
         coalesce(string_agg(coalesce(data ->> 'seq', 'null'), ',' ORDER BY recorded_at, global_position), '') AS seqs
  FROM (
    SELECT data, recorded_at, global_position FROM events
    WHERE stream_id = $1 AND type = $2 AND recorded_at >= $3::timestamptz AND recorded_at < $4::timestamptz
    ORDER BY recorded_at, global_position
    LIMIT $5
  ) AS e`;
