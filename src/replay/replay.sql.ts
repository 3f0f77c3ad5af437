// SQL of the replay module over accounts and the last-position projection.
// Movement history itself is read through EventQueries (src/event-store).

export const PLAYERS_BY_IDS = `
  SELECT id::text, username FROM players WHERE id = ANY($1::uuid[])`;

/** Every player with the last position the projection holds (null before the first move). */
export const PLAYERS_WITH_LAST_POSITION = `
  SELECT p.id::text, p.username, lp.x, lp.y, lp.z, lp.heading, lp.recorded_at AS "recordedAt"
  FROM players p LEFT JOIN last_positions lp ON lp.player_id = p.id
  ORDER BY p.username COLLATE "C", p.id`;

export const PLAYER_WITH_LAST_POSITION = `
  SELECT p.id::text, p.username, lp.x, lp.y, lp.z, lp.heading, lp.recorded_at AS "recordedAt"
  FROM players p LEFT JOIN last_positions lp ON lp.player_id = p.id
  WHERE p.id = $1::uuid`;

/** In byte order ("C"): a stable order for 10,000 names at a fraction of a locale sort's cost. */
export const ALL_PLAYERS = `
  SELECT id::text, username FROM players ORDER BY username COLLATE "C", id`;

/** Changes whenever an account is added (accounts are never removed or renamed). */
export const ROSTER_VERSION = `SELECT count(*) || '/' || coalesce(max(created_at)::text, '') AS version FROM players`;

/**
 * Exports join each movement to its player (movement streams are named
 * movement-<player id>) for the username. As a join the planner memoizes the lookup per
 * player; a subquery per event probed the primary key for every row, twice the cost.
 */
export const PLAYER_OF_MOVEMENT = { table: 'players', alias: 'mover', key: 'id', on: `substr(stream_id, ${'movement-'.length + 1})::uuid` };
export const MOVER_USERNAME = 'mover.username';

/** The player whose position was recorded last, and where: for examples that return data. */
export const LATEST_MOVER = `
  SELECT player_id::text AS id, x, y FROM last_positions ORDER BY recorded_at DESC LIMIT 1`;
