import { Socket } from 'socket.io-client';
import { arrives, connect, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { freshSchema, itOnEmbedded, startTestServer, TestServer, untilDisconnectRecorded } from './support/test-server';

describe('live loop over Socket.IO (docs/protocol.md, Socket.IO section)', () => {
  let server: TestServer;
  const open: Socket[] = [];
  const track = <T extends { socket: Socket }>(c: T): T => (open.push(c.socket), c);

  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '20' });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([['websocket'], ['polling']] as const)('welcomes a new player with a null position over %s', async (transport) => {
    const { token, player } = await registerAndLogin(server.url);
    const { welcome } = track(await connect(server.url, token, [transport]));
    expect(welcome.self).toEqual({ id: player.id, username: player.username, n: expect.any(Number) });
    expect(welcome.position).toBeNull();
    expect(Array.isArray(welcome.players)).toBe(true);
  });

  it.each([['websocket'], ['polling']] as const)('acks a position only once recorded, echoing seq, over %s', async (transport) => {
    const { token, player } = await registerAndLogin(server.url);
    const { socket } = track(await connect(server.url, token, [transport]));
    await expect(sendPosition(socket, { x: 1, y: 2, z: 3, heading: 0.5, seq: 7 })).resolves.toEqual({ ok: true, seq: 7 });
    await expect(sendPosition(socket, { x: 2, y: 2 })).resolves.toEqual({ ok: true, seq: null });
    const rows = await server.dataSource.query(
      `SELECT stream_version::int AS v, data FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [`movement-${player.id}`],
    );
    expect(rows).toEqual([
      { v: 1, data: { x: 1, y: 2, z: 3, heading: 0.5, seq: 7 } },
      { v: 2, data: { x: 2, y: 2, z: 0, heading: 0, seq: null } },
    ]);
  });

  it('lets two players see each other join, move and leave', async () => {
    const a = await registerAndLogin(server.url);
    const b = await registerAndLogin(server.url);
    const ca = track(await connect(server.url, a.token));
    const joined = nextEvent(ca.socket, 'player:joined', (p) => p.id === b.player.id);
    const cb = track(await connect(server.url, b.token));
    expect(await joined).toEqual({ id: b.player.id, username: b.player.username, n: cb.welcome.self.n, position: null });
    expect(cb.welcome.players).toContainEqual({ id: a.player.id, username: a.player.username, n: ca.welcome.self.n, position: null });

    const seenByA = nextEvent<any[]>(ca.socket, 'players:moved', (list) => list.some((m) => m.id === b.player.id));
    const seenByB = nextEvent<any[]>(cb.socket, 'players:moved', (list) => list.some((m) => m.id === b.player.id));
    const before = Date.now();
    await sendPosition(cb.socket, { x: 10, y: 20, z: 1, heading: 1.5, seq: 1 });
    for (const list of [await seenByA, await seenByB]) {
      const entry = list.find((m) => m.id === b.player.id);
      expect(entry).toEqual({ id: b.player.id, x: 10, y: 20, z: 1, heading: 1.5, seq: 1, t: expect.any(Number) });
      expect(entry.t).toBeGreaterThanOrEqual(before - 1000);
    }

    const left = nextEvent(ca.socket, 'player:left', (p) => p.id === b.player.id);
    cb.socket.close();
    expect(await left).toEqual({ id: b.player.id });
  });

  it('sends each player the position stored before they logged out', async () => {
    const { token } = await registerAndLogin(server.url);
    const first = await connect(server.url, token);
    await sendPosition(first.socket, { x: 5, y: 6, seq: 1 });
    await sendPosition(first.socket, { x: -40.5, y: 99, z: 2, heading: 3, seq: 2 });
    first.socket.close();
    const { welcome } = track(await connect(server.url, token));
    expect(welcome.position).toEqual({ x: -40.5, y: 99, z: 2, heading: 3, at: expect.any(String) });
    expect(Number.isNaN(Date.parse(welcome.position.at))).toBe(false);
  });

  it('restores the stored position after a server restart', async () => {
    const restartable = await startTestServer();
    const { token } = await registerAndLogin(restartable.url);
    const c = await connect(restartable.url, token);
    await sendPosition(c.socket, { x: 321, y: -654, z: 9, heading: 0.25, seq: 41 });
    c.socket.close();
    const again = await restartable.restart();
    try {
      const { socket, welcome } = await connect(again.url, token);
      socket.close();
      expect(welcome.position).toMatchObject({ x: 321, y: -654, z: 9, heading: 0.25 });
    } finally {
      await again.close();
    }
  });

  it('keeps its tables in DATABASE_SCHEMA on either database, and finds them there after a restart', async () => {
    const schema = freshSchema();
    const first = await startTestServer({ DATABASE_SCHEMA: schema });
    const { token } = await registerAndLogin(first.url);
    const c = await connect(first.url, token);
    await sendPosition(c.socket, { x: 12, y: -34, seq: 1 });
    c.socket.close();
    const again = await first.restart();
    try {
      const { socket, welcome } = await connect(again.url, token);
      socket.close();
      expect(welcome.position).toMatchObject({ x: 12, y: -34 });
      const tablesIn = async (where: string): Promise<string[]> =>
        (await again.dataSource.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [where])).map(
          (t: { name: string }) => t.name,
        );
      expect(await tablesIn(schema)).toEqual(expect.arrayContaining(['events', 'last_positions', 'migrations', 'players', 'projection_checkpoints']));
      // The embedded database's data folder is this server's alone: nothing may have gone
      // to public (a shared PostgreSQL's public schema may hold anything).
      if (!process.env.DATABASE_URL) expect(await tablesIn('public')).toEqual([]);
    } finally {
      await again.close();
    }
  });

  itOnEmbedded('moves the tables an earlier version left in public into DATABASE_SCHEMA, keeping what they hold', async () => {
    const first = await startTestServer();
    const { token } = await registerAndLogin(first.url);
    const c = await connect(first.url, token);
    await sendPosition(c.socket, { x: 56, y: -78, seq: 1 });
    c.socket.close();
    // The layout an earlier version left for DATABASE_SCHEMA=legacy: TypeORM's migrations
    // table in that schema, every other table in public.
    await first.dataSource.query(`CREATE SCHEMA legacy`);
    await first.dataSource.query(`ALTER TABLE public.migrations SET SCHEMA legacy`);
    const again = await first.restart({ DATABASE_SCHEMA: 'legacy' });
    try {
      const { socket, welcome } = await connect(again.url, token);
      socket.close();
      expect(welcome.position).toMatchObject({ x: 56, y: -78 });
      const tables = await again.dataSource.query(`SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_name = 'events'`);
      expect(tables).toEqual([{ schema: 'legacy', name: 'events' }]);
    } finally {
      await again.close();
    }
  });

  it('keeps one session per player: the newer connection takes over silently', async () => {
    const watcher = await registerAndLogin(server.url);
    const me = await registerAndLogin(server.url);
    const w = track(await connect(server.url, watcher.token));
    const older = track(await connect(server.url, me.token));
    await sendPosition(older.socket, { x: 1, y: 1, seq: 1 });

    const replaced = nextEvent(older.socket, 'session:replaced');
    const closed = nextEvent(older.socket, 'disconnect');
    const leftOrJoined = Promise.race([
      arrives(w.socket, 'player:left', 1000, (p) => p.id === me.player.id),
      arrives(w.socket, 'player:joined', 1000, (p) => p.id === me.player.id),
    ]);
    const newer = track(await connect(server.url, me.token));
    expect(await replaced).toEqual({ reason: 'replaced' });
    await closed;
    expect(await leftOrJoined).toBe(false);
    expect(newer.socket.connected).toBe(true);
    // The newer session continues the same stream: no version clash, no gap.
    await expect(sendPosition(newer.socket, { x: 2, y: 2, seq: 2 })).resolves.toEqual({ ok: true, seq: 2 });
    const versions = await server.dataSource.query(
      `SELECT stream_version::int AS v FROM events WHERE stream_id = $1 ORDER BY 1`,
      [`movement-${me.player.id}`],
    );
    expect(versions.map((r: { v: number }) => r.v)).toEqual([1, 2]);
    // Still online for the others.
    const third = await registerAndLogin(server.url);
    const t = track(await connect(server.url, third.token));
    expect(t.welcome.players.map((p: { id: string }) => p.id)).toContain(me.player.id);
  });

  it('records connects and disconnects as events of the player stream', async () => {
    const { token, player } = await registerAndLogin(server.url);
    const c = await connect(server.url, token);
    c.socket.close();
    await untilDisconnectRecorded(server.dataSource, player.id);
    const rows = await server.dataSource.query(`SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version`, [
      `player-${player.id}`,
    ]);
    expect(rows.map((r: { type: string }) => r.type)).toEqual(['PlayerRegistered', 'PlayerConnected', 'PlayerDisconnected']);
  });

  it('coalesces a burst into each player’s latest position per tick', async () => {
    const { token, player } = await registerAndLogin(server.url);
    const { socket } = track(await connect(server.url, token));
    const batches: any[][] = [];
    socket.on('players:moved', (list) => batches.push(list));
    await Promise.all(Array.from({ length: 20 }, (_, i) => sendPosition(socket, { x: i, y: 0, seq: i })));
    await nextEvent<any[]>(socket, 'players:moved', (l) => l.some((m) => m.id === player.id && m.seq === 19), 3000).catch(() => null);
    const mine = batches.flat().filter((m) => m.id === player.id);
    expect(mine[mine.length - 1].seq).toBe(19);
    for (const list of batches) expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
    expect(mine.length).toBeLessThan(20);
  });
});

describe('BROADCAST_INTERVAL_MS=0', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('emits one players:moved per movement, at once', async () => {
    const { token, player } = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, token);
    const got: any[][] = [];
    socket.on('players:moved', (l) => got.push(l));
    for (let i = 0; i < 5; i++) await sendPosition(socket, { x: i, y: i, seq: i });
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    expect(got.map((l) => l.map((m: { id: string; seq: number }) => [m.id, m.seq]))).toEqual(
      [0, 1, 2, 3, 4].map((i) => [[player.id, i]]),
    );
  });
});
