// SQL of GET /world/visits: who came within a radius of a point in a time range.

/**
 * Per player with a movement within $6 of ($4, $5) (2-D) in [$2, $3): the first and
 * last such movement, how many, and the smallest distance; by first time, then id.
 * The scan is bounded by the range on events_recorded_position_idx; the squared
 * distance is compared, and the square root taken once per player.
 */
export const VISITS_NEAR_POINT = `
  SELECT p.id::text AS "playerId", p.username,
         to_char(v.first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "firstAt",
         to_char(v.last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastAt",
         v.movements, sqrt(v.closest2) AS closest
  FROM (
    SELECT stream_id, min(recorded_at) AS first_at, max(recorded_at) AS last_at, count(*)::int AS movements, min(d2) AS closest2
    FROM (
      SELECT stream_id, recorded_at,
             ((data ->> 'x')::float8 - $4::float8) ^ 2 + ((data ->> 'y')::float8 - $5::float8) ^ 2 AS d2
      FROM events
      WHERE type = $1 AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz
    ) AS m
    WHERE d2 <= $6::float8 ^ 2
    GROUP BY stream_id
  ) AS v
  JOIN players p ON p.id = substr(v.stream_id, ${'movement-'.length + 1})::uuid
  ORDER BY v.first_at, p.id`;
