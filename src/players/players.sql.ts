export const INSERT_PLAYER = `
  INSERT INTO players (id, username, password_hash) VALUES ($1, $2, $3)`;

export const FIND_PLAYER_BY_USERNAME = `
  SELECT id::text, username, password_hash AS "passwordHash", role FROM players WHERE lower(username) = lower($1)`;

export const SET_PLAYER_ROLE = `
  UPDATE players SET role = $2 WHERE id = $1`;

/** Whether an account still exists: tokens are signed for an id and outlive an account removed by hand. */
export const PLAYER_EXISTS = `SELECT EXISTS (SELECT 1 FROM players WHERE id = $1::uuid) AS "exists"`;
