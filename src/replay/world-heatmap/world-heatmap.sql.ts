// SQL of GET /world/heatmap: movements counted per grid cell in a time range.
// Movement coordinates are read from the PlayerMoved event's data; the range bound on
// recorded_at is what lets an index find the rows (see docs/replay-api.md, plans).

/**
 * The cells of one range as one row: how many (up to the limit $5, to tell "more than
 * allowed" apart) and their JSON objects joined by commas, by x then y. A cell is named
 * by its index floor(coordinate / cell), grouped on exactly, and leaves as its lowest
 * corner, index × cell (`+ 0` turns -0 into 0). $1 type, $2 from, $3 to (exclusive), $4
 * cell, $5 limit; `streams` adds a condition on the streams. Counted by hashing, then
 * only the cells are sorted: asked for the cells in order straight away, the planner
 * sorted every movement of the range to group them.
 */
const heatmapSql = (streams: string) => `
  WITH counted AS MATERIALIZED (
    SELECT floor((data ->> 'x')::float8 / $4::float8) AS i, floor((data ->> 'y')::float8 / $4::float8) AS j, count(*)::int AS n
    FROM events
    WHERE type = $1 AND recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz${streams}
    GROUP BY 1, 2
  ),
  cells AS (SELECT i, j, n FROM counted ORDER BY i, j LIMIT $5)
  SELECT count(*)::int AS count,
         coalesce(string_agg('{"x":' || (i * $4::float8 + 0) || ',"y":' || (j * $4::float8 + 0) || ',"count":' || n || '}', ',' ORDER BY i, j), '') AS cells
  FROM cells`;

/** Every player: events_recorded_position_idx bounds the scan to the range. */
export const HEATMAP_ALL_PLAYERS = heatmapSql('');

/** Some players ($6, movement stream ids): events_stream_recorded_idx, one range per stream. */
export const HEATMAP_OF_STREAMS = heatmapSql(` AND stream_id = ANY($6::text[])`);
