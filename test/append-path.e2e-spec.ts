import { randomUUID } from 'node:crypto';
import { EventStore, VersionedNewEvent } from '../src/event-store';
import { LastPositionProjection } from '../src/movement/last-position/last-position.projection';
import { PLAYER_MOVED } from '../src/movement/position';
import { movementStreamId } from '../src/players/player-streams';
import { connect, LoggedIn, registerAndLogin, sendPosition, streamPositions } from './support/clients';
import { itOnPostgres, startTestServer, TestServer } from './support/test-server';
import { eventually } from './replay-support';

/**
 * The write path's batches: each one statement and one commit per window. An
 * acknowledged movement is committed, commit order is recorded order, and a version
 * taken by another writer is re-read, not lost.
 */
describe('movement batches (APPEND_BATCH_WINDOW_MS)', () => {
  let server: TestServer;
  const windowMs = 200;
  beforeAll(async () => {
    server = await startTestServer({
      APPEND_BATCH_WINDOW_MS: String(windowMs),
      RATE_LIMIT_BURST: '1000',
      RATE_LIMIT_PER_SECOND: '1000',
    });
  });
  afterAll(() => server.close());

  const streamOf = (p: LoggedIn) => `movement-${p.player.id}`;

  it('acknowledges a movement only once it is committed, and commits in recorded order', async () => {
    const players = await Promise.all([0, 1, 2].map(() => registerAndLogin(server.url)));
    const clients = await Promise.all(players.map((p) => connect(server.url, p.token)));
    try {
      // At the moment of its ack, a movement must already be readable by anyone else.
      const unseenAtAck: string[] = [];
      const checks: Promise<void>[] = [];
      const acks = await streamPositions(clients.map((c) => c.socket), 1_200, (i, seq) => {
        if (seq % 3 !== 0) return;
        checks.push(
          server.dataSource
            .query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND (data->>'seq')::int = $2`, [streamOf(players[i]), seq])
            .then(([{ n }]) => void (n === 1 || unseenAtAck.push(`${i}:${seq}`))),
        );
      });
      await Promise.all(checks);
      expect(checks.length).toBeGreaterThan(30); // ~240 on an idle machine
      expect(unseenAtAck).toEqual([]);
      for (const list of acks) expect(list.every((a) => a.ok)).toBe(true);

      const streams = players.map(streamOf);
      // Recorded order (recorded_at, global_position), the order replays page in, is the order transactions committed in.
      const byRecorded: { p: string }[] = await server.dataSource.query(
        `SELECT global_position::text AS p FROM events WHERE stream_id = ANY($1) ORDER BY recorded_at, global_position`,
        [streams],
      );
      const byTransaction: { p: string }[] = await server.dataSource.query(
        `SELECT global_position::text AS p FROM events WHERE stream_id = ANY($1) ORDER BY transaction_id, global_position`,
        [streams],
      );
      expect(byRecorded.map((r) => r.p)).toEqual(byTransaction.map((r) => r.p));

      // Each stream holds exactly the acked movements, versions 1..n in seq order.
      for (const [i, s] of streams.entries()) {
        const rows: { v: number; seq: number }[] = await server.dataSource.query(
          `SELECT stream_version::int AS v, (data->>'seq')::int AS seq FROM events WHERE stream_id = $1 ORDER BY stream_version`,
          [s],
        );
        expect(rows.map((r) => r.v)).toEqual(rows.map((_, k) => k + 1));
        expect(rows.map((r) => r.seq)).toEqual(acks[i].map((a) => a.seq));
      }

      // One transaction per window, each one statement (one recorded_at): about 1.2 s / 200 ms.
      const transactions: { parts: number }[] = await server.dataSource.query(
        `SELECT count(DISTINCT recorded_at)::int AS parts FROM events WHERE stream_id = ANY($1) GROUP BY transaction_id`,
        [streams],
      );
      expect(transactions.length).toBeLessThanOrEqual(Math.ceil(1_200 / windowMs) + 2);
      expect(Math.max(...transactions.map((t) => t.parts))).toBe(1);
    } finally {
      for (const { socket } of clients) socket.close();
    }
  });

  it('records every movement when another writer takes versions of a stream mid-stream', async () => {
    const player = await registerAndLogin(server.url);
    const client = await connect(server.url, player.token);
    const streamId = streamOf(player);
    try {
      // Another node's writer (a takeover across nodes) appends versions this node does not
      // know of, while this node streams to the same stream. It asks for far more than the
      // stream will reach, so this node's next batch surely clashes.
      let takenUpTo = 0;
      const otherWriter = (async () => {
        await new Promise((r) => setTimeout(r, 300));
        const [{ v }] = await server.dataSource.query(`SELECT coalesce(max(stream_version), 0)::int AS v FROM events WHERE stream_id = $1`, [streamId]);
        const rows = await server.dataSource.query(
          `INSERT INTO events (stream_id, stream_version, type, data, metadata)
           SELECT $1, v, 'PlayerMoved', '{"x":0,"y":0,"z":0,"heading":0,"seq":null}', jsonb_build_object('eventId', gen_random_uuid()::text)
           FROM generate_series($2::int + 1, $2::int + 1000) AS v
           ON CONFLICT DO NOTHING RETURNING stream_version`,
          [streamId, v],
        );
        takenUpTo = Math.max(0, ...rows.map((r: { stream_version: string | number }) => Number(r.stream_version)));
      })();
      const [acks] = await streamPositions([client.socket], 800);
      await otherWriter;
      expect(takenUpTo).toBeGreaterThan(0);
      expect(acks.every((a) => a.ok)).toBe(true);
      // The clash really happened mid-stream: movements were recorded past the other
      // writer's versions, which this node could only learn by re-reading them.
      const [{ after }] = await server.dataSource.query(
        `SELECT count(*)::int AS after FROM events WHERE stream_id = $1 AND data->>'seq' IS NOT NULL AND stream_version > $2`,
        [streamId, takenUpTo],
      );
      expect(after).toBeGreaterThan(0);
      // Every acknowledged movement is stored exactly once, in order, beside the other writer's events.
      const stored: { seq: number }[] = await server.dataSource.query(
        `SELECT (data->>'seq')::int AS seq FROM events WHERE stream_id = $1 AND data->>'seq' IS NOT NULL ORDER BY stream_version`,
        [streamId],
      );
      expect(stored.map((r) => r.seq)).toEqual(acks.map((a) => a.seq));
    } finally {
      client.socket.close();
    }
  });
  // PostgreSQL's table statistics; PGlite keeps none.
  itOnPostgres('keeps last_positions updates HOT (on the row\'s own page, no index entry) when a batch moves every player', async () => {
    const store = server.running.app.get(EventStore);
    // Enough players to fill several pages of last_positions, each moving once per batch,
    // as at 20 Hz with a 50 ms window.
    const ids = Array.from({ length: 400 }, () => randomUUID());
    await server.dataSource.query(
      `INSERT INTO players (id, username, password_hash) SELECT id, 'hot_' || left(id::text, 8), 'x' FROM unnest($1::uuid[]) AS id`,
      [ids],
    );
    const counters = async () =>
      (
        await server.dataSource.query(
          `SELECT n_tup_ins::int AS inserted, n_tup_upd::int AS updated, n_tup_hot_upd::int AS hot
           FROM pg_stat_user_tables WHERE relid = 'last_positions'::regclass`,
        )
      )[0] as { inserted: number; updated: number; hot: number };
    const moveEveryone = async (version: number) => {
      const events: VersionedNewEvent[] = ids.map((id) => ({
        streamId: movementStreamId(id),
        streamVersion: version,
        type: PLAYER_MOVED,
        data: { x: version, y: 0, z: 0, heading: 0, seq: version },
        metadata: { eventId: randomUUID(), correlationId: randomUUID(), causationId: randomUUID() },
      }));
      await store.appendBatch(events, [new LastPositionProjection()]);
    };
    await moveEveryone(1); // inserts the rows
    // Statistics reach the view about once a second: wait until the inserts' are in.
    await eventually(async () => (await counters()).inserted >= ids.length, 15_000, 'the inserts counted');
    const before = await counters();
    for (let version = 2; version <= 4; version++) await moveEveryone(version);
    await eventually(async () => (await counters()).updated - before.updated >= 3 * ids.length, 15_000, 'the updates counted');
    const after = await counters();
    const updated = after.updated - before.updated;
    const hot = after.hot - before.hot;
    expect(hot / updated).toBeGreaterThanOrEqual(0.9);
    const [{ x }] = await server.dataSource.query(`SELECT min(x)::int AS x FROM last_positions WHERE player_id = ANY($1::uuid[])`, [ids]);
    expect(x).toBe(4);
  });
});

