export const INSERT_PLAYER = `
  INSERT INTO players (id, username, password_hash) VALUES ($1, $2, $3)`;

export const FIND_PLAYER_BY_USERNAME = `
  SELECT id::text, username, password_hash AS "passwordHash", role FROM players WHERE lower(username) = lower($1)`;

export const SET_PLAYER_ROLE = `
  UPDATE players SET role = $2 WHERE id = $1`;

/** The account a token speaks for, read per request or connection: roles change, and tokens outlive accounts removed by hand. */
export const ACCOUNT_BY_ID = `
  SELECT id::text, username, role FROM players WHERE id = $1::uuid`;
