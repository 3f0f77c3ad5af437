import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventStore, VersionedNewEvent } from '../src/event-store';
import { EventQueries, EventRange, ExportSpec, LiveEdgeNotSettled } from '../src/replay/history';
import { analyst, get, pageWhileWriting, sleep, untilClockPasses } from './replay-support';
import { connect, LoggedIn, registerAndLogin, sendPosition } from './support/clients';
import { HeldAppend } from './support/held-append';
import { describeOnPostgres, startTestServer, TestServer } from './support/test-server';

// Several lanes or nodes append at once, so a transaction begun earlier (its events
// stamped earlier) can commit after a later one. A read across players in recorded order
// that passed the later one's events would never see the earlier one's: its cursor is
// already past them. These tests hold an append open the way a slow lane would, through
// the server's own append statement (HeldAppend), and read around it.

const POSITIONS: ExportSpec = { format: 'ndjson', columns: [{ name: 'p', event: 'globalPosition' }] };
const meta = () => ({ eventId: randomUUID(), correlationId: 'live-edge-test', causationId: 'live-edge-test' });
const event = (streamId: string, streamVersion: number, type: string, data: object = { x: 1, y: 2, seq: streamVersion }): VersionedNewEvent => ({
  streamId,
  streamVersion,
  type,
  data,
  metadata: meta(),
});

/** Settles to 'pending' if `promise` has not settled within `ms`. */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<'pending' | 'settled'> {
  return Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), sleep(ms).then(() => 'pending' as const)]);
}

/** Appends `events`, then waits out their millisecond (see untilClockPasses). */
async function appendedAndPast(store: EventStore, db: DataSource, events: VersionedNewEvent[]): Promise<void> {
  await untilClockPasses(db, (await store.appendBatch(events)).recordedAt);
}

/**
 * Appends held open in their transactions, as a slow commit holds a batch; whatever a
 * test leaves open is rolled back after it.
 */
function holdingAppends(server: () => TestServer): (events: VersionedNewEvent[]) => Promise<HeldAppend> {
  const open: HeldAppend[] = [];
  afterEach(async () => {
    for (const tx of open.splice(0)) await tx.rollback();
  });
  return async (events) => {
    const tx = await HeldAppend.begin(server().dataSource);
    open.push(tx);
    await tx.append(events);
    return tx;
  };
}

describeOnPostgres('reads across players at the live edge (appends in flight)', () => {
  let server: TestServer;
  let store: EventStore;
  let queries: EventQueries;
  const heldOpen = holdingAppends(() => server);

  beforeAll(async () => {
    server = await startTestServer();
    store = server.running.app.get(EventStore);
    queries = server.running.app.get(EventQueries);
  });
  afterAll(() => server.close());

  const positionsOf = async (range: EventRange, limit = 100) => {
    const page = await queries.readJsonPage(range, POSITIONS, limit);
    return { items: (JSON.parse(`[${page.items.join('')}]`) as { p: number }[]).map((o) => String(o.p)), next: page.next };
  };
  const positionsInDb = async (type: string): Promise<string[]> =>
    (await server.dataSource.query(`SELECT global_position::text AS p FROM events WHERE type = $1 ORDER BY recorded_at, global_position`, [type])).map(
      (r: { p: string }) => r.p,
    );

  it('holds the appending lock from the append to the end of its transaction, and stamps with the database clock after the transaction began', async () => {
    const type = `Stamp${randomUUID().slice(0, 8)}`;
    const tx = await heldOpen([event('stamp-a', 1, type)]);
    // The lock other sessions see: two int4 keys, Waypoint's and the schema's, held by the open transaction.
    const held = async () =>
      (
        await server.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE locktype = 'advisory' AND objsubid = 2 AND mode = 'ShareLock' AND granted
             AND classid = (hashtext('waypoint:appending')::bigint & 4294967295)::oid
             AND objid = (hashtext($1)::bigint & 4294967295)::oid`,
          [server.settings.databaseSchema],
        )
      )[0].n;
    expect(await held()).toBe(1);
    const [{ began }] = await server.dataSource.query(
      `SELECT date_trunc('milliseconds', xact_start) AS began FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND query LIKE '%waypoint:appending%'`,
    );
    await tx.commit();
    expect(await held()).toBe(0);
    const [row] = await server.dataSource.query(
      `SELECT recorded_at, recorded_at = date_trunc('milliseconds', recorded_at) AS whole_ms FROM events WHERE type = $1`,
      [type],
    );
    expect(row.whole_ms).toBe(true);
    expect(row.recorded_at.getTime()).toBeGreaterThanOrEqual(began.getTime());

    const { recordedAt } = await store.appendBatch([event('stamp-b', 1, type)]);
    const [{ stamped }] = await server.dataSource.query(`SELECT recorded_at AS stamped FROM events WHERE type = $1 AND stream_id = 'stamp-b'`, [type]);
    expect(stamped.getTime()).toBe(recordedAt.getTime());
    expect(await held()).toBe(0);
  });

  it('does not answer past an earlier append still in flight: with a short wait it gives up instead', async () => {
    const type = `Refuse${randomUUID().slice(0, 8)}`;
    const range: EventRange = { type, streamIds: null, from: null, to: null, after: null };
    const impatient = new EventQueries(server.dataSource, server.running.database.capabilities, { ...server.settings, replayLiveEdgeWaitMs: 150 });
    const early = await heldOpen([event('refuse-a', 1, type)]);
    await sleep(5);
    await appendedAndPast(store, server.dataSource, [event('refuse-b', 1, type)]);
    // The old reader answered at once with refuse-b alone, its cursor then past refuse-a for good.
    await expect(impatient.readJsonPage(range, POSITIONS, 100)).rejects.toBeInstanceOf(LiveEdgeNotSettled);
    await early.commit();
    expect((await impatient.readJsonPage(range, POSITIONS, 100)).items.join('')).toContain(',');
  });

  it('waits for an earlier append still in flight before passing a later one that committed', async () => {
    const type = `Edge${randomUUID().slice(0, 8)}`;
    const range: EventRange = { type, streamIds: null, from: null, to: null, after: null };
    const early = await heldOpen([event('edge-a', 1, type)]);
    await sleep(5);
    await appendedAndPast(store, server.dataSource, [event('edge-b', 1, type)]);

    const page = positionsOf(range);
    // Without the wait the page would hold edge-b alone, and a cursor after it would never see edge-a.
    expect(await stateAfter(page, 300)).toBe('pending');
    await early.commit();
    const expected = await positionsInDb(type);
    expect(expected).toHaveLength(2);
    expect(await page).toEqual({ items: expected, next: null });
  });

  it('chains pages with no gap and no duplicate while appends in flight commit out of order', async () => {
    const type = `Chain${randomUUID().slice(0, 8)}`;
    const range: EventRange = { type, streamIds: null, from: null, to: null, after: null };
    const seen: string[] = [];
    let after: string | null = null;
    // Rounds of: an append held open, a later one committed, a page read, the first committed.
    for (let round = 1; round <= 5; round++) {
      const early = await heldOpen([event('chain-a', round, type), event('chain-c', round, type)]);
      await sleep(3);
      await appendedAndPast(store, server.dataSource, [event('chain-b', round, type)]);
      const reading = positionsOf({ ...range, after }, 2);
      // The page waits for the earlier append: the race is really run, every round.
      expect(await stateAfter(reading, 50)).toBe('pending');
      await early.commit();
      for (let page = await reading; ; page = await positionsOf({ ...range, after }, 2)) {
        seen.push(...page.items);
        if (page.items.length) after = page.items[page.items.length - 1];
        if (page.next === null) break;
      }
    }
    expect(seen).toEqual(await positionsInDb(type));
    expect(seen).toHaveLength(15);
  });

  it('answers without waiting when the range ends before the appends in flight began', async () => {
    const type = `Before${randomUUID().slice(0, 8)}`;
    await store.appendBatch([event('before-a', 1, type)]);
    await sleep(5);
    // An instant by the clock events are stamped with.
    const [{ cut }] = await server.dataSource.query(`SELECT date_trunc('milliseconds', clock_timestamp()) AS cut`);
    await sleep(5);
    await heldOpen([event('before-b', 1, type)]);
    const page = positionsOf({ type, streamIds: null, from: null, to: cut, after: null });
    expect(await stateAfter(page, 1_000)).toBe('settled');
    expect((await page).items).toEqual(await positionsInDb(type));
  });

  it('reads one player’s history without waiting: a stream’s appends commit in order', async () => {
    const type = `One${randomUUID().slice(0, 8)}`;
    await store.appendBatch([event('one-a', 1, type)]);
    await heldOpen([event('one-b', 1, type)]);
    const page = positionsOf({ type, streamIds: ['one-a'], from: null, to: null, after: null });
    expect(await stateAfter(page, 1_000)).toBe('settled');
    expect((await page).items).toHaveLength(1);
  });
});

describeOnPostgres('REST at the live edge (REPLAY_LIVE_EDGE_WAIT_MS)', () => {
  let server: TestServer;
  let boss: LoggedIn;
  let store: EventStore;
  const heldOpen = holdingAppends(() => server);

  beforeAll(async () => {
    server = await startTestServer({ REPLAY_LIVE_EDGE_WAIT_MS: '300', BROADCAST_INTERVAL_MS: '0' });
    boss = await analyst(server);
    store = server.running.app.get(EventStore);
  });
  afterAll(() => server.close());

  it('answers 503 while an append stays in flight past the wait, then everything once it commits', async () => {
    const mover = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, mover.token);
    expect(await sendPosition(socket, { x: 1, y: 1, seq: 1 })).toMatchObject({ ok: true });
    socket.close();
    // A second movement of the player, held open the way a stalled lane would hold it.
    const stalled = await heldOpen([event(`movement-${mover.player.id}`, 2, 'PlayerMoved', { x: 2, y: 2, z: 0, heading: 0, seq: 2 })]);

    const url = `${server.url}/movements?players=${mover.player.id},${boss.player.id}`;
    const page = await get(url, boss.token);
    expect(page.status).toBe(503);
    expect(page.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('REPLAY_LIVE_EDGE_WAIT_MS') });
    expect(page.headers.get('retry-after')).toBe('1');
    expect((await get(url, boss.token, 'application/x-ndjson')).status).toBe(503);
    // A snapshot of an instant after the append began (by the database's clock) waits for it;
    // one of the future cannot be settled by waiting, and does not wait.
    const [{ past }] = await server.dataSource.query(`SELECT date_trunc('milliseconds', clock_timestamp()) AS past`);
    expect((await get(`${server.url}/world/snapshot?at=${past.toISOString()}`, boss.token)).status).toBe(503);
    expect((await get(`${server.url}/world/snapshot?at=${new Date(Date.now() + 3_600_000).toISOString()}`, boss.token)).status).toBe(200);
    // One player's own history does not wait: a stream's appends commit in order.
    const own = await get(`${server.url}/players/${mover.player.id}/movements`, boss.token);
    expect(own.status).toBe(200);
    expect(own.body.items.map((m: { seq: number }) => m.seq)).toEqual([1]);

    await stalled.commit();
    const after = await get(url, boss.token);
    expect(after.status).toBe(200);
    expect(after.body.items.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    expect(after.body.nextCursor).toBeNull();
    const snapshot = await get(`${server.url}/world/snapshot?at=${past.toISOString()}`, boss.token);
    expect(snapshot.body.players.find((p: { id: string }) => p.id === mover.player.id)).toMatchObject({ position: { x: 2, y: 2 } });
  });
});

describeOnPostgres('paging across players while several lanes commit (APPEND_LANES=4)', () => {
  let server: TestServer;
  let boss: LoggedIn;
  beforeAll(async () => {
    // Long windows gathered in small parts: each lane's transaction stays open ~20 ms with
    // events already stamped, while the other lanes commit theirs.
    server = await startTestServer({ APPEND_LANES: '4', APPEND_BATCH_WINDOW_MS: '20', BROADCAST_INTERVAL_MS: '0' });
    boss = await analyst(server);
  });
  afterAll(() => server.close());

  // The whole path under real lanes, end to end. The race itself is narrow here and was not
  // caught in four runs of the old reader; the tests above, which hold an append open,
  // are the ones that catch it every time.
  it('pages to the live edge and on without a duplicate or a gap', async () => {
    const movers = await Promise.all(Array.from({ length: 8 }, () => registerAndLogin(server.url)));
    const sockets = await Promise.all(movers.map(async (m) => (await connect(server.url, m.token)).socket));
    let writing = true;
    // Bursts of 4 per player, spread over time, so every lane always has a batch open.
    const writers = Promise.all(
      sockets.map(async (socket, w) => {
        for (let i = 0; i < 40; i += 4) {
          const acks = await Promise.all([0, 1, 2, 3].map((k) => sendPosition(socket, { x: i + k, y: w, seq: i + k })));
          expect(acks.every((a) => a.ok)).toBe(true);
          await sleep(7 * (w % 3));
        }
      }),
    ).finally(() => (writing = false));

    const seen: { position: number }[] = await pageWhileWriting(server.dataSource, `${server.url}/movements?limit=3`, boss.token, () => writing, 0);
    await writers;
    for (const s of sockets) s.close();
    const stored = await server.dataSource.query(`SELECT global_position::int AS p FROM events WHERE type = 'PlayerMoved' ORDER BY recorded_at, global_position`);
    expect(stored).toHaveLength(8 * 40);
    expect(seen.map((m) => m.position)).toEqual(stored.map((r: { p: number }) => r.p));
  });
});

describeOnPostgres('a batch left open by a node that froze (DATABASE_IDLE_TRANSACTION_TIMEOUT_MS)', () => {
  let server: TestServer;
  const heldOpen = holdingAppends(() => server);
  beforeAll(async () => {
    server = await startTestServer({ DATABASE_IDLE_TRANSACTION_TIMEOUT_MS: '300', REPLAY_LIVE_EDGE_WAIT_MS: '2000' });
  });
  afterAll(() => server.close());

  it('is ended by PostgreSQL, so reads at the live edge go on and nothing of it is recorded', async () => {
    const store = server.running.app.get(EventStore);
    const queries = server.running.app.get(EventQueries);
    const type = `Frozen${randomUUID().slice(0, 8)}`;
    const frozen = await heldOpen([event('frozen-a', 1, type)]);
    await appendedAndPast(store, server.dataSource, [event('frozen-b', 1, type)]);
    // The node holding `frozen` sends nothing more; PostgreSQL ends its session after 300 ms
    // idle, which releases the appending lock, and the page answers within its 2 s wait.
    const page = await queries.readJsonPage({ type, streamIds: null, from: null, to: null, after: null }, POSITIONS, 100);
    const [{ p }] = await server.dataSource.query(`SELECT global_position::text AS p FROM events WHERE type = $1`, [type]);
    expect(page.items).toEqual([JSON.stringify({ p: Number(p) })]);
    await expect(frozen.commit()).rejects.toThrow();
  });
});
