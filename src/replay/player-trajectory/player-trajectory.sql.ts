// SQL of GET /players/:id/trajectory: one player's path in a time range, as GeoJSON parts.

const ISO_AT = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The player $1 (no row when there is none) with their username and, from their
 * movement stream $2, the movements of type $3 in [$4, $5), up to $6 of them (the caller
 * asks for one more than it allows, to tell "too many" apart), in recorded order: the
 * count, and the JSON text of the coordinates ([x, y, z], z 0 when absent), the times
 * and the seqs (null when absent), each joined by commas. Numbers are the JSON text they
 * were stored as. One round trip for the account and the path; events_stream_recorded_idx
 * gives the rows in order.
 */
export const TRAJECTORY_PARTS = `
  SELECT p.id::text AS "playerId", p.username, t.count, t.coordinates, t.times, t.seqs
  FROM players p CROSS JOIN LATERAL (
    SELECT count(*)::int AS count,
           coalesce(string_agg('[' || coalesce(data ->> 'x', 'null') || ',' || coalesce(data ->> 'y', 'null') || ',' || coalesce(data ->> 'z', '0') || ']', ',' ORDER BY recorded_at, global_position), '') AS coordinates,
           coalesce(string_agg('"' || ${ISO_AT} || '"', ',' ORDER BY recorded_at, global_position), '') AS times,
           coalesce(string_agg(coalesce(data ->> 'seq', 'null'), ',' ORDER BY recorded_at, global_position), '') AS seqs
    FROM (
      SELECT data, recorded_at, global_position FROM events
      WHERE stream_id = $2 AND type = $3 AND recorded_at >= $4::timestamptz AND recorded_at < $5::timestamptz
      ORDER BY recorded_at, global_position
      LIMIT $6
    ) AS e
  ) AS t
  WHERE p.id = $1::uuid`;
