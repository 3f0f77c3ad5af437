import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConcurrencyError, EventStore, HistoricalEvent, importEvents, START_OF_ALL } from '../src/event-store';
import { EventQueries, EventRange, ExportSpec, LIVE_EDGE_MARGIN_MS, SPLIT_PAGES_FROM } from '../src/replay/history';
import { driverPool } from '../src/database/data-source';
import { RebuildLastPositions } from '../src/movement/last-position/rebuild-last-positions';
import { connect, registerAndLogin, sendPosition } from './support/clients';
import { itOnPostgres, startTestServer, TestServer } from './support/test-server';

const meta = () => ({ eventId: randomUUID(), correlationId: 'test', causationId: 'test' });
/** Positions only: the order and completeness of the output is what the read tests check. */
const POSITIONS_ONLY: ExportSpec = { format: 'ndjson', columns: [{ name: 'p', event: 'globalPosition' }] };
const wholeRange = (type: string): EventRange => ({ type, streamIds: null, from: null, to: null, after: null });

describe('event store', () => {
  let server: TestServer;
  let store: EventStore;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    store = server.running.app.get(EventStore);
  });
  afterAll(() => server.close());

  it('records 1,000 acked positions as exactly 1,000 movement events, versions 1…1000, no gaps', async () => {
    const { token, player } = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, token);
    const acks = await Promise.all(Array.from({ length: 1000 }, (_, i) => sendPosition(socket, { x: i % 500, y: -i % 500, seq: i })));
    socket.close();
    expect(acks).toEqual(Array.from({ length: 1000 }, (_, i) => ({ ok: true, seq: i })));

    const rows = await server.dataSource.query(
      `SELECT stream_version::int AS v, (data->>'seq')::int AS seq, type, schema_version AS sv, metadata,
              transaction_id::text AS tx, global_position::text AS gp, recorded_at
       FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [`movement-${player.id}`],
    );
    expect(rows).toHaveLength(1000);
    expect(rows.map((r: { v: number }) => r.v)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // The server never reorders a player's seq.
    expect(rows.map((r: { seq: number }) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const r of rows.slice(0, 3)) {
      expect(r.type).toBe('PlayerMoved');
      expect(r.sv).toBe(1);
      expect(r.metadata).toEqual({ eventId: expect.any(String), correlationId: expect.any(String), causationId: expect.any(String) });
      expect(BigInt(r.tx)).toBeGreaterThan(0n);
    }
    // Batched: far fewer transactions than events.
    expect(new Set(rows.map((r: { tx: string }) => r.tx)).size).toBeLessThan(500);
  });

  it('keeps every player’s stream in order while several lanes append at once', async () => {
    const lanes = await startTestServer({ APPEND_LANES: '4', RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    try {
      const players = await Promise.all(Array.from({ length: 12 }, () => registerAndLogin(lanes.url)));
      const sockets = await Promise.all(players.map((p) => connect(lanes.url, p.token)));
      await Promise.all(
        sockets.map(({ socket }) => Promise.all(Array.from({ length: 60 }, (_, i) => sendPosition(socket, { x: i, y: 0, seq: i })))),
      );
      for (const { socket } of sockets) socket.close();
      const rows: { stream: string; v: number; seq: number; tx: string }[] = await lanes.dataSource.query(
        `SELECT stream_id AS stream, stream_version::int AS v, (data->>'seq')::int AS seq, transaction_id::text AS tx
         FROM events WHERE type = 'PlayerMoved' ORDER BY stream_id, stream_version`,
      );
      for (const p of players) {
        const mine = rows.filter((r) => r.stream === `movement-${p.player.id}`);
        expect(mine.map((r) => r.v)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        expect(mine.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      }
    } finally {
      await lanes.close();
    }
  });

  it('refuses to update or delete events (append-only)', async () => {
    await expect(server.dataSource.query(`UPDATE events SET type = 'X' WHERE global_position = 1`)).rejects.toThrow(/append-only/);
    await expect(server.dataSource.query(`DELETE FROM events WHERE global_position = 1`)).rejects.toThrow(/append-only/);
  });

  it('enforces optimistic concurrency per stream', async () => {
    const stream = `test-${randomUUID()}`;
    await store.appendToStream(stream, [{ streamId: stream, type: 'T', data: {}, metadata: meta() }], 0);
    await expect(store.appendToStream(stream, [{ streamId: stream, type: 'T', data: {}, metadata: meta() }], 0)).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    await expect(
      store.appendBatch([{ streamId: stream, streamVersion: 1, type: 'T', data: {}, metadata: meta() }]),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    // A clash anywhere in a batch appends nothing of it.
    const other = `test-${randomUUID()}`;
    await expect(
      store.appendBatch([
        { streamId: other, streamVersion: 1, type: 'T', data: {}, metadata: meta() },
        { streamId: stream, streamVersion: 1, type: 'T', data: {}, metadata: meta() },
      ]),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.streamVersions([other])).toEqual(new Map([[other, 0]]));
    const { lastVersion } = await store.appendToStream(stream, [{ streamId: stream, type: 'T', data: {}, metadata: meta() }], 'any');
    expect(lastVersion).toBe(2);
  });

  // Needs two concurrent sessions: PGlite runs one transaction at a time, so this runs on PostgreSQL only.
  itOnPostgres('never lets a reader skip an event committed after a later one (the sequence-gap bug)', async () => {
    const slow = new Client({ connectionString: server.settings.databaseUrl!, options: `-c search_path=${server.settings.databaseSchema}` });
    await slow.connect();
    try {
      const latest = await store.readAllAfter(START_OF_ALL, 1_000_000);
      const checkpoint = latest.length ? latest[latest.length - 1] : START_OF_ALL;
      const slowStream = `slow-${randomUUID()}`;
      const fastStream = `fast-${randomUUID()}`;
      // A takes the lower position and stays open; B takes a higher one and commits first.
      await slow.query('BEGIN');
      await slow.query(
        `INSERT INTO events (stream_id, stream_version, type, data, metadata) VALUES ($1, 1, 'T', '{}', '{}')`,
        [slowStream],
      );
      await store.appendToStream(fastStream, [{ streamId: fastStream, type: 'T', data: {}, metadata: meta() }], 0);

      const whileOpen = await store.readAllAfter(checkpoint, 1000);
      expect(whileOpen.map((e) => e.streamId)).not.toContain(fastStream);
      expect(whileOpen.map((e) => e.streamId)).not.toContain(slowStream);

      await slow.query('COMMIT');
      // Visible once every older transaction in the cluster has ended (other tests may hold one briefly).
      const ours = async () =>
        (await store.readAllAfter(checkpoint, 100_000)).map((e) => e.streamId).filter((id) => id === slowStream || id === fastStream);
      let afterCommit = await ours();
      for (let i = 0; i < 50 && afterCommit.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        afterCommit = await ours();
      }
      expect(afterCommit).toEqual([slowStream, fastStream]);
    } finally {
      await slow.end();
    }
  });
});

describe('streamed export in segments', () => {
  let server: TestServer;
  let queries: EventQueries;
  const type = 'SegmentProbe';
  const spec = POSITIONS_ONLY;
  const all = wholeRange(type);

  beforeAll(async () => {
    server = await startTestServer();
    queries = server.running.app.get(EventQueries);
    // 3 streams, 150 events whose times are uneven on purpose: bursts within one
    // millisecond, steady steps, an empty day, and a lone straggler an hour later, so that
    // segments cut from one stretch's density meet empty and crowded stretches.
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    const events: HistoricalEvent[] = [];
    const versions = [0, 0, 0];
    const at = (i: number) =>
      i < 40 ? t0 + Math.floor(i / 10) : i < 100 ? t0 + 1000 + (i - 40) * 37 : i < 149 ? t0 + 86_400_000 + (i - 100) * 5 : t0 + 90_000_000;
    for (let i = 0; i < 150; i++) {
      const stream = i % 3;
      events.push({ streamId: `probe-${stream}`, streamVersion: ++versions[stream], type, data: { i }, metadata: meta(), recordedAt: new Date(at(i)) });
    }
    // Imported out of recorded order, so global positions do not follow time either.
    await importEvents(server.dataSource, [...events.slice(75), ...events.slice(0, 75)]);
  });
  afterAll(() => server.close());

  const exported = async (range: EventRange, batchSize: number) => {
    const lines: number[] = [];
    for await (const batch of queries.streamExport(range, spec, { batchSize })) {
      lines.push(...batch.text.trimEnd().split('\n').map((l) => Number(JSON.parse(l).p)));
    }
    return lines;
  };
  const pagedPositions = async (range: EventRange) => (await queries.readRange(range, 10_000)).map((e) => Number(e.globalPosition));

  it('writes the range in recorded order, every event once, whatever the batch size', async () => {
    const expected = await pagedPositions(all);
    expect(expected).toHaveLength(150);
    const reads = jest.spyOn(queries, 'readExportBatch');
    try {
      for (const batchSize of [1, 4, 7, 149, 150, 500]) expect(await exported(all, batchSize)).toEqual(expected);
      // Segments were cut: reads that start at an instant rather than after a cursor.
      expect(reads.mock.calls.some(([range]) => range.after === null && range.from !== null)).toBe(true);
    } finally {
      reads.mockRestore();
    }
  });

  it('keeps to [from, to) and continues after a cursor', async () => {
    const from = new Date('2026-01-01T00:00:01.500Z');
    const to = new Date('2026-01-02T00:00:00.100Z');
    const window: EventRange = { ...all, from, to };
    const expected = await pagedPositions(window);
    expect(expected.length).toBeGreaterThan(40);
    expect(await exported(window, 5)).toEqual(expected);
    const after = String(expected[17]);
    expect(await exported({ ...window, after }, 3)).toEqual(expected.slice(18));
    expect(await exported({ ...all, after: String((await pagedPositions(all))[148]) }, 2)).toHaveLength(1);
  });

  it('reads some streams only, the same way', async () => {
    const some: EventRange = { ...all, streamIds: ['probe-0', 'probe-2'] };
    const expected = await pagedPositions(some);
    expect(expected).toHaveLength(100);
    expect(await exported(some, 3)).toEqual(expected);
  });

  it('cuts no segment near the live edge, even when `to` lies in the future', async () => {
    // A segment read ahead of its turn must not be able to gain events later (a gap):
    // past LIVE_EDGE_MARGIN_MS before now the rest is one open segment. Movements of the
    // last 30 s, one every 0.5 s, make segments of a second or two up to the edge.
    const now = Date.now();
    const edgeType = 'EdgeProbe';
    await importEvents(
      server.dataSource,
      Array.from({ length: 60 }, (_, i) => ({
        streamId: `edge-${i % 3}`,
        streamVersion: Math.floor(i / 3) + 1,
        type: edgeType,
        data: { i },
        metadata: meta(),
        recordedAt: new Date(now - 30_000 + i * 500),
      })),
    );
    const future: EventRange = { ...all, type: edgeType, to: new Date(now + 86_400_000) };
    const reads = jest.spyOn(queries, 'readExportBatch');
    try {
      const expected = await pagedPositions(future);
      expect(expected).toHaveLength(60);
      expect(await exported(future, 4)).toEqual(expected);
      const cuts = reads.mock.calls.map(([range]) => range).filter((range) => range.after === null && range.from !== null);
      expect(cuts.length).toBeGreaterThan(0);
      const edge = Date.now() - LIVE_EDGE_MARGIN_MS;
      for (const range of cuts) {
        expect(range.from!.getTime()).toBeLessThan(edge);
        if (range.to !== future.to) expect(range.to!.getTime()).toBeLessThan(edge);
      }
    } finally {
      reads.mockRestore();
    }
  });
});

describe('JSON pages read in two halves', () => {
  let server: TestServer;
  let queries: EventQueries;
  const type = 'PageProbe';
  const spec = POSITIONS_ONLY;
  const all = wholeRange(type);
  const count = SPLIT_PAGES_FROM + 500;

  beforeAll(async () => {
    server = await startTestServer();
    queries = server.running.app.get(EventQueries);
    // 5 streams; bursts sharing a millisecond, so the order within one instant matters;
    // imported out of recorded order, so global positions do not follow time.
    const t0 = Date.parse('2026-02-01T00:00:00.000Z');
    const versions = [0, 0, 0, 0, 0];
    const events: HistoricalEvent[] = Array.from({ length: count }, (_, i) => ({
      streamId: `page-${i % 5}`,
      streamVersion: ++versions[i % 5],
      type,
      data: { i },
      metadata: meta(),
      recordedAt: new Date(t0 + Math.floor(i / 7) * 3),
    }));
    await importEvents(server.dataSource, [...events.slice(count / 2), ...events.slice(0, count / 2)]);
  });
  afterAll(() => server.close());

  const positions = async (range: EventRange) => (await queries.readRange(range, 10_000)).map((e) => e.globalPosition);
  const page = async (range: EventRange, limit: number) => {
    const { items, next } = await queries.readJsonPage(range, spec, limit);
    return { items: (JSON.parse(`[${items.join('')}]`) as { p: number }[]).map((o) => String(o.p)), next };
  };
  const twoConnections = () => driverPool(server.dataSource)!.options.max! > 1;
  const partReads = () => jest.spyOn(queries as unknown as { readPagePart: (...args: unknown[]) => Promise<unknown> }, 'readPagePart');

  it('gives the page one read would, for page sizes around the range’s length', async () => {
    const expected = await positions(all);
    expect(expected).toHaveLength(count);
    const reads = partReads();
    try {
      for (const limit of [SPLIT_PAGES_FROM, SPLIT_PAGES_FROM + 1, count - 1, count, count + 1, 2 * count]) {
        const { items, next } = await page(all, limit);
        expect(items).toEqual(expected.slice(0, limit));
        expect(next).toBe(limit < count ? expected[limit - 1] : null);
      }
      // With two connections, every one of those pages was read in two parts (rows 0… and
      // half…) and joined: no page was read again whole.
      expect(reads.mock.calls.filter(([, , first]) => first !== 0)).toHaveLength(twoConnections() ? 6 : 0);
      expect(reads).toHaveBeenCalledTimes(twoConnections() ? 12 : 6);
    } finally {
      reads.mockRestore();
    }
  });

  it('chains by cursor across the range, and for some streams only', async () => {
    for (const range of [all, { ...all, streamIds: ['page-1', 'page-3', 'page-4'] }]) {
      const expected = await positions(range);
      const chained: string[] = [];
      let after: string | null = null;
      do {
        const { items, next } = await page({ ...range, after }, SPLIT_PAGES_FROM);
        chained.push(...items);
        after = next;
      } while (after !== null);
      expect(chained).toEqual(expected);
    }
  });

  // The embedded database has one connection: its pages are read whole, never in halves.
  itOnPostgres('reads the page whole when an event lands inside the first half between the two reads', async () => {
    expect(twoConnections()).toBe(true);
    type PartReader = (range: EventRange, item: string, first: number, last: number) => Promise<unknown>;
    const target = queries as unknown as { readPagePart: PartReader };
    const original = target.readPagePart.bind(queries);
    let headRead!: () => void;
    const headDone = new Promise<void>((resolve) => (headRead = resolve));
    const reads = jest.spyOn(target, 'readPagePart').mockImplementation(async (range, item, first, last) => {
      if (reads.mock.calls.length > 2) return original(range, item, first, last); // the whole read
      if (first === 0) {
        const part = await original(range, item, first, last);
        headRead();
        return part;
      }
      // The second half is read after the first, and after a movement older than all of
      // the first half's was recorded.
      await headDone;
      await importEvents(server.dataSource, [
        { streamId: 'page-late', streamVersion: 1, type, data: {}, metadata: meta(), recordedAt: new Date('2026-01-31T00:00:00.000Z') },
      ]);
      return original(range, item, first, last);
    });
    try {
      const { items, next } = await page(all, SPLIT_PAGES_FROM);
      expect(reads).toHaveBeenCalledTimes(3);
      const expected = await positions(all);
      expect(expected).toHaveLength(count + 1);
      expect(items).toEqual(expected.slice(0, SPLIT_PAGES_FROM));
      expect(next).toBe(expected[SPLIT_PAGES_FROM - 1]);
    } finally {
      reads.mockRestore();
    }
  });
});

describe('newest state per stream before an instant (a world snapshot\'s window)', () => {
  let server: TestServer;
  let queries: EventQueries;
  const type = 'WindowProbe';
  const spec: ExportSpec = { format: 'ndjson', columns: [{ name: 'i', field: 'i', kind: 'number', missing: 'null' }] };
  interface Recorded {
    stream: string;
    type: string;
    i: number;
    at: Date;
  }
  let recorded: Recorded[];

  beforeAll(async () => {
    server = await startTestServer();
    queries = server.running.app.get(EventQueries);
    // Three busy streams, one that moves only at the start, and events of another type
    // in between, which count towards the window but hold no state; bursts share a
    // millisecond, and the import is out of recorded order, so global positions do not
    // follow time.
    const t0 = Date.parse('2026-03-01T00:00:00.000Z');
    const versions = new Map<string, number>();
    const events: HistoricalEvent[] = Array.from({ length: 60 }, (_, i) => {
      const streamId = i < 3 ? 'window-quiet' : i % 4 === 3 ? 'other-0' : `window-${i % 4}`;
      versions.set(streamId, (versions.get(streamId) ?? 0) + 1);
      const eventType = streamId === 'other-0' ? 'OtherProbe' : type;
      return { streamId, streamVersion: versions.get(streamId)!, type: eventType, data: { i }, metadata: meta(), recordedAt: new Date(t0 + Math.floor(i / 3) * 10) };
    });
    await importEvents(server.dataSource, [...events.slice(30), ...events.slice(0, 30)]);
    recorded = await server.dataSource.query(
      `SELECT stream_id AS stream, type, (data->>'i')::int AS i, recorded_at AS at FROM events ORDER BY recorded_at, global_position`,
    );
  });
  afterAll(() => server.close());

  const states = (found: { streamIds: string[]; jsons: string[] }) => new Map(found.streamIds.map((s, k) => [s, (JSON.parse(found.jsons[k]) as { i: number }).i]));
  /** Each stream's newest state among `events`, in recorded order. */
  const newestOf = (events: Recorded[]) => new Map(events.filter((e) => e.type === type).map((e) => [e.stream, e.i]));
  const instants = () => {
    const times = [...new Set(recorded.map((e) => e.at.getTime()))];
    return [times[0] - 1, ...times.flatMap((t) => [t, t + 5])].map((t) => new Date(t));
  };

  it('holds each stream\'s newest event among exactly the window\'s newest events, of any type', async () => {
    expect(recorded.length).toBeGreaterThanOrEqual(60);
    for (const window of [1, 2, 5, 17, 1_000]) {
      for (const at of instants()) {
        const upTo = recorded.filter((e) => e.at <= at);
        const found = await queries.newestPerStreamBefore(type, at, window, spec);
        expect({ window, at, states: states(found) }).toEqual({ window, at, states: newestOf(upTo.slice(-window)) });
        // Exhaustive exactly when the window reached the first event.
        expect({ window, at, exhaustive: found.exhaustive }).toEqual({ window, at, exhaustive: upTo.length < window });
      }
    }
  });

  it('gives every stream\'s state at the instant once the streams it missed are probed', async () => {
    const streams = [...new Set(recorded.map((e) => e.stream))];
    for (const window of [1, 5, 17]) {
      for (const at of instants()) {
        const found = await queries.newestPerStreamBefore(type, at, window, spec);
        const got = states(found);
        if (!found.exhaustive) {
          const missing = streams.filter((s) => !got.has(s));
          for (const state of await queries.latestOfStreamsAt(missing, type, at, spec)) got.set(state.streamId, (JSON.parse(state.json) as { i: number }).i);
        }
        expect({ window, at, states: got }).toEqual({ window, at, states: newestOf(recorded.filter((e) => e.at <= at)) });
      }
    }
  });
});

describe('last-position projection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
  });
  afterAll(() => server.close());

  const snapshot = () =>
    server.dataSource.query(
      `SELECT player_id::text, x, y, z, heading, seq::int, stream_version::int, global_position::text, recorded_at
       FROM last_positions ORDER BY player_id`,
    );

  async function movePlayers(count: number, moves: number) {
    for (let p = 0; p < count; p++) {
      const { token } = await registerAndLogin(server.url);
      const { socket } = await connect(server.url, token);
      await Promise.all(Array.from({ length: moves }, (_, i) => sendPosition(socket, { x: p * 10 + i, y: i, heading: i / 10, seq: i })));
      socket.close();
    }
  }

  it('is kept current by the live path: each player’s latest accepted position', async () => {
    await movePlayers(3, 25);
    const rows = await snapshot();
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatchObject({ seq: 24, stream_version: 25, y: 24 });
  });

  it('rebuilds from the events to exactly the live projection', async () => {
    await movePlayers(2, 40);
    const live = await snapshot();
    const report = await server.running.app.get(RebuildLastPositions).run(7);
    expect(report.resumed).toBe(false);
    expect(report.events).toBe(3 * 25 + 2 * 40);
    expect(await snapshot()).toEqual(live);
  });

  it('resumes an interrupted rebuild from its stored checkpoint', async () => {
    const live = await snapshot();
    const rebuild = server.running.app.get(RebuildLastPositions);
    // Interrupt a rebuild: the first page commits with its checkpoint, the second fails.
    const store = server.running.app.get(EventStore);
    const projectPage = store.projectPageAfter.bind(store);
    let pages = 0;
    store.projectPageAfter = async (...args) => {
      if (++pages === 2) throw new Error('simulated crash');
      return projectPage(...args);
    };
    await expect(rebuild.run(20)).rejects.toThrow('simulated crash');
    store.projectPageAfter = projectPage;
    const [cp] = await server.dataSource.query(`SELECT rebuilding, global_position::text AS gp FROM projection_checkpoints`);
    expect(cp.rebuilding).toBe(true);
    expect(BigInt(cp.gp)).toBeGreaterThan(0n);

    const report = await rebuild.run(20);
    expect(report.resumed).toBe(true);
    expect(await snapshot()).toEqual(live);
    const [done] = await server.dataSource.query(`SELECT rebuilding FROM projection_checkpoints`);
    expect(done.rebuilding).toBe(false);
  });

  itOnPostgres('waits for an older transaction still running instead of finishing without its events', async () => {
    const { token, player } = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, token);
    const slow = new Client({ connectionString: server.settings.databaseUrl!, options: `-c search_path=${server.settings.databaseSchema}` });
    await slow.connect();
    try {
      // An older writer holds a movement uncommitted while a newer one commits.
      await slow.query('BEGIN');
      await slow.query(
        `INSERT INTO events (stream_id, stream_version, type, data, metadata)
         VALUES ($1, 1, 'PlayerMoved', '{"x": 1, "y": 1, "z": 0, "heading": 0, "seq": 1}', '{}')`,
        [`movement-${randomUUID()}`],
      );
      await sendPosition(socket, { x: 5, y: 5, seq: 1 });
      let finished = false;
      const rebuilding = server.running.app.get(RebuildLastPositions).run(100).then((r) => ((finished = true), r));
      await new Promise((r) => setTimeout(r, 700));
      expect(finished).toBe(false);
      await slow.query('ROLLBACK');
      const report = await rebuilding;
      expect(report.events).toBeGreaterThan(0);
      const [row] = await server.dataSource.query(`SELECT x FROM last_positions WHERE player_id = $1`, [player.id]);
      expect(row).toEqual({ x: 5 });
    } finally {
      socket.close();
      await slow.end();
    }
  });
});

describe('an account removed by hand while its player is connected', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A wide window, so that movements sent together share one batch.
    server = await startTestServer({ APPEND_BATCH_WINDOW_MS: '300' });
  });
  afterAll(() => server.close());

  /** As an operator would: the projection row first (it refers to the account), then the account. */
  const removeAccount = async (playerId: string) => {
    await server.dataSource.query(`DELETE FROM last_positions WHERE player_id = $1`, [playerId]);
    await server.dataSource.query(`DELETE FROM players WHERE id = $1`, [playerId]);
  };
  const lastPositions = () =>
    server.dataSource.query(`SELECT player_id::text AS id, x, seq::int FROM last_positions ORDER BY player_id`) as Promise<{ id: string; x: number; seq: number }[]>;

  it("does not cost the other players of its batch their movements, and the projection's rebuild skips it", async () => {
    const [gone, stays] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const cg = await connect(server.url, gone.token);
    const cs = await connect(server.url, stays.token);
    try {
      expect(await sendPosition(cg.socket, { x: 1, y: 0, seq: 1 })).toEqual({ ok: true, seq: 1 });
      expect(await sendPosition(cs.socket, { x: 1, y: 0, seq: 1 })).toEqual({ ok: true, seq: 1 });
      await removeAccount(gone.player.id);

      // The first is appended at once and opens a window; the next two share the batch after it.
      const opener = sendPosition(cs.socket, { x: 2, y: 0, seq: 2 });
      const [fromGone, fromStays] = await Promise.all([sendPosition(cg.socket, { x: 3, y: 0, seq: 3 }), sendPosition(cs.socket, { x: 3, y: 0, seq: 3 })]);
      expect(await opener).toEqual({ ok: true, seq: 2 });
      expect(fromStays).toEqual({ ok: true, seq: 3 });
      // What happened is recorded (the events outlive the account); only the projection,
      // a table of existing players, leaves it out.
      expect(fromGone).toEqual({ ok: true, seq: 3 });
      const batches = await server.dataSource.query(
        `SELECT count(DISTINCT transaction_id)::int AS n FROM events WHERE (data->>'seq')::int = 3 AND stream_id = ANY($1)`,
        [[`movement-${gone.player.id}`, `movement-${stays.player.id}`]],
      );
      expect(batches).toEqual([{ n: 1 }]); // the two really shared a batch
      const live = await lastPositions();
      expect(live.find((r) => r.id === gone.player.id)).toBeUndefined();
      expect(live.find((r) => r.id === stays.player.id)).toMatchObject({ x: 3, seq: 3 });

      const report = await server.running.app.get(RebuildLastPositions).run(2);
      expect(report.events).toBe(5); // both players' movements are read, the removed one's skipped
      expect(await lastPositions()).toEqual(live);
    } finally {
      cg.socket.close();
      cs.socket.close();
    }
  });
});
