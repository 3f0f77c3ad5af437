/**
 * Latest position per player from the rows in `appended` (an inline projection: see
 * InlineProjection). The version guard makes it idempotent: replaying old events never
 * moves a player back. Stream ids are `movement-<uuid>`, so the player id starts at 10.
 *
 * Only players whose account exists: the table refers to `players`, and one movement of
 * an account removed by hand (while its player was connected, or before a rebuild) would
 * otherwise fail the whole statement: every movement of the batch it shared with others,
 * or the rebuild. Its events stay recorded; the projection is of existing players.
 */
export const UPSERT_LAST_POSITIONS = `
  INSERT INTO last_positions AS lp (player_id, x, y, z, heading, seq, stream_version, global_position, recorded_at)
  SELECT DISTINCT ON (stream_id)
         substr(stream_id, 10)::uuid, (data->>'x')::float8, (data->>'y')::float8, (data->>'z')::float8,
         (data->>'heading')::float8, (data->>'seq')::bigint, stream_version, global_position, recorded_at
  FROM appended
  WHERE type = 'PlayerMoved' AND stream_id LIKE 'movement-%'
    AND EXISTS (SELECT 1 FROM players p WHERE p.id = substr(appended.stream_id, 10)::uuid)
  ORDER BY stream_id, stream_version DESC
  ON CONFLICT (player_id) DO UPDATE SET
    x = excluded.x, y = excluded.y, z = excluded.z, heading = excluded.heading, seq = excluded.seq,
    stream_version = excluded.stream_version, global_position = excluded.global_position,
    recorded_at = excluded.recorded_at
  WHERE excluded.stream_version > lp.stream_version`;

export const TRUNCATE_LAST_POSITIONS = `TRUNCATE last_positions`;

export const SELECT_CHECKPOINT = `
  SELECT transaction_id::text AS "transactionId", global_position::text AS "globalPosition", rebuilding
  FROM projection_checkpoints WHERE name = $1`;

export const START_REBUILD = `
  INSERT INTO projection_checkpoints (name, transaction_id, global_position, rebuilding, updated_at)
  VALUES ($1, '0', 0, true, now())
  ON CONFLICT (name) DO UPDATE SET transaction_id = '0', global_position = 0, rebuilding = true, updated_at = now()`;

/** Stored in the same transaction as the projection writes of the page it ends. */
export const STORE_CHECKPOINT = `
  UPDATE projection_checkpoints SET transaction_id = $2::xid8, global_position = $3, rebuilding = $4, updated_at = now()
  WHERE name = $1`;
