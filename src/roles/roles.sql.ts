/** The account to change, locked until the role and its event commit together. */
export const LOCK_PLAYER_BY_USERNAME = `
  SELECT id::text, username, role FROM players WHERE lower(username) = lower($1) FOR UPDATE`;
