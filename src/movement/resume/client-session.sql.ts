/**
 * Highest recorded seq per player and client session, from the rows in `appended` (an
 * inline projection: see InlineProjection). Only movements sent in a resumable session
 * carry `clientSession`; GREATEST keeps it idempotent under replays.
 */
export const UPSERT_CLIENT_SESSIONS = `
  INSERT INTO client_sessions AS cs (player_id, client_session, last_seq, recorded_at)
  SELECT substr(stream_id, 10)::uuid, data->>'clientSession', max((data->>'seq')::bigint), max(recorded_at)
  FROM appended
  WHERE type = 'PlayerMoved' AND data ? 'clientSession'
  GROUP BY 1, 2
  ON CONFLICT (player_id, client_session) DO UPDATE SET
    last_seq = GREATEST(cs.last_seq, excluded.last_seq), recorded_at = GREATEST(cs.recorded_at, excluded.recorded_at)`;

/** The highest recorded seq of each (player, client session) asked for: $1 player ids, $2 client sessions, pairwise. */
export const LAST_SEQS = `
  SELECT cs.player_id::text AS "playerId", cs.client_session AS "clientSession", cs.last_seq::float8 AS "lastSeq"
  FROM unnest($1::uuid[], $2::text[]) AS asked(player_id, client_session)
  JOIN client_sessions cs USING (player_id, client_session)`;
