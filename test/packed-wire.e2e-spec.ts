import { Socket } from 'socket.io-client';
import { decodePackedFrame } from '../src/client/packed-frame.mjs';
import { arrives, connect, Connected, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { describeOnPostgres, startTestServer, TestServer, untilDisconnectRecorded } from './support/test-server';
import { eventually, sleep } from './replay-support';
import { StalledPollingClient } from './support/stalled-polling-client';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const f32 = Math.fround;

/** A packed client: `players:moved` arrives as one binary attachment, decoded with its ids resolved. */
async function connectPacked(url: string, token: string): Promise<Connected> {
  return connect(url, token, ['websocket'], { auth: { token, format: 'packed' } });
}

/** Every `players:moved` a socket receives, as received (array or Buffer). */
function record(socket: Socket): unknown[] {
  const got: unknown[] = [];
  socket.on('players:moved', (payload) => got.push(payload));
  return got;
}

describe('compact wire mode, player numbers and world bounds', () => {
  let server: TestServer;
  const open: Socket[] = [];
  const track = (c: Connected): Connected => (open.push(c.socket), c);
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(() => open.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await server.close();
  });

  it('tells every client the world bounds and that area of interest is off', async () => {
    const { token } = await registerAndLogin(server.url);
    const { welcome } = track(await connect(server.url, token));
    expect(welcome.world).toEqual({ min: -100_000, max: 100_000, cellSize: null });
  });

  it('refuses an unknown format with invalid_format and takes json as v1', async () => {
    const { token } = await registerAndLogin(server.url);
    await expect(connect(server.url, token, ['websocket'], { auth: { token, format: 'xml' } })).rejects.toThrow('invalid_format');
    await expect(connect(server.url, token, ['websocket'], { auth: { token, format: 7 } })).rejects.toThrow('invalid_format');
    const json = track(await connect(server.url, token, ['websocket'], { auth: { token, format: 'json' } }));
    expect(json.welcome.self).toMatchObject({ n: expect.any(Number) });
  });

  it('numbers players, announces the numbers in both modes, keeps them across a takeover and reuses them after a leave', async () => {
    const [a, b, c] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url), registerAndLogin(server.url)]);
    const ca = track(await connectPacked(server.url, a.token));
    const joined = nextEvent(ca.socket, 'player:joined', (p) => p.id === b.player.id);
    const cb = track(await connect(server.url, b.token));
    const bJoined = await joined;
    expect(bJoined).toEqual({ id: b.player.id, username: b.player.username, n: cb.welcome.self.n, position: null });
    expect(cb.welcome.players).toContainEqual({ id: a.player.id, username: a.player.username, n: ca.welcome.self.n, position: null });
    expect(ca.welcome.self.n).not.toBe(cb.welcome.self.n);

    // A takeover keeps the number.
    const replaced = nextEvent(cb.socket, 'session:replaced');
    const newer = track(await connect(server.url, b.token));
    await replaced;
    expect(newer.welcome.self.n).toBe(cb.welcome.self.n);

    // B leaves; the next player to come online gets B's number (the lowest free one).
    const left = nextEvent(ca.socket, 'player:left', (p) => p.id === b.player.id);
    newer.socket.close();
    await left;
    await untilDisconnectRecorded(server.dataSource, b.player.id, 2);
    const cc = track(await connect(server.url, c.token));
    expect(cc.welcome.self.n).toBe(cb.welcome.self.n);
  });

  it('sends packed clients one binary frame per tick that decodes to exactly what a json client gets', async () => {
    const movers = await Promise.all([0, 1, 2].map(() => registerAndLogin(server.url)));
    const watcherJson = await registerAndLogin(server.url);
    const watcherPacked = await registerAndLogin(server.url);
    const json = track(await connect(server.url, watcherJson.token));
    const packed = track(await connectPacked(server.url, watcherPacked.token));
    const moving = await Promise.all(movers.map((m) => connect(server.url, m.token).then(track)));
    const jsonGot = record(json.socket);
    const packedGot = record(packed.socket);
    // Numbers from welcome (those online before) and player:joined (after): here all joined after the packed watcher.
    const ids = new Map<number, string>(moving.map((m) => [m.welcome.self.n, m.welcome.self.id]));

    for (let seq = 1; seq <= 12; seq++) {
      await Promise.all(
        moving.map((m, i) =>
          sendPosition(m.socket, { x: 10.1 * seq + i, y: -0.25 * seq, z: i === 1 ? 3.3 : 0, heading: 1.1 * (i % 2), ...(i === 0 && seq % 3 === 0 ? {} : { seq: seq * 1000 + i }) }),
        ),
      );
      await sleep(15);
    }
    const last = (list: unknown[]) => list.some((p) => (Array.isArray(p) ? p : decodePackedFrame(p as Buffer)).some((e: any) => e.seq === 12_002));
    await eventually(() => last(jsonGot) && last(packedGot), 5000, 'the last movement reached both watchers');

    expect(jsonGot.every(Array.isArray)).toBe(true);
    expect(packedGot.every((p) => Buffer.isBuffer(p))).toBe(true);
    expect(packedGot.length).toBe(jsonGot.length);
    const asJson = packedGot.map((frame) =>
      decodePackedFrame(frame as Buffer).map(({ n, ...e }) => ({ id: ids.get(n), ...e })),
    );
    const expected = jsonGot.map((entries) =>
      (entries as any[]).map((e) => ({ ...e, x: f32(e.x), y: f32(e.y), z: f32(e.z), heading: f32(e.heading) })),
    );
    const byId = (l: any[]) => [...l].sort((p, q) => String(p.id).localeCompare(String(q.id)));
    expect(asJson.map(byId)).toEqual(expected.map(byId));
    expect(expected.flat().some((e) => e.seq === null)).toBe(true);
  });

  it('keeps every other event JSON for packed clients', async () => {
    const [w, p] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const watcher = track(await connectPacked(server.url, w.token));
    const joined = nextEvent(watcher.socket, 'player:joined', (j) => j.id === p.player.id);
    const mover = track(await connectPacked(server.url, p.token));
    expect(await joined).toMatchObject({ id: p.player.id, n: mover.welcome.self.n });
    await expect(sendPosition(mover.socket, { x: 1, y: 2, seq: 1 })).resolves.toEqual({ ok: true, seq: 1 });
    const error = nextEvent(mover.socket, 'error');
    mover.socket.emit('position', { x: 'nope', y: 2, seq: 2 });
    expect(await error).toMatchObject({ code: 'invalid_position', seq: 2 });
    const left = nextEvent(watcher.socket, 'player:left', (l) => l.id === p.player.id);
    mover.socket.close();
    expect(await left).toEqual({ id: p.player.id });
  });

  it('serves the client library as ES modules, and socket.io-client as one', async () => {
    for (const path of ['/client/waypoint.js', '/client/packed-frame.mjs', '/client/interpolation.mjs', '/client/send-buffer.mjs', '/socket.io/socket.io.esm.min.js']) {
      const res = await fetch(server.url + path);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 200, type: expect.stringMatching(/javascript/) });
      expect(await res.text()).toMatch(/export/);
    }
    expect(await (await fetch(server.url + '/client/waypoint.js')).text()).toMatch(/from '\.\/packed-frame\.mjs'/);
  });
});

describe('compact wire mode with area of interest', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AREA_OF_INTEREST_CELL_SIZE: '100' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives the cell size in welcome and sends a packed client frames of its neighbourhood only', async () => {
    const [w, near, far] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url), registerAndLogin(server.url)]);
    const watcher = await connectPacked(server.url, w.token);
    const cNear = await connect(server.url, near.token);
    const cFar = await connect(server.url, far.token);
    try {
      expect(watcher.welcome.world).toEqual({ min: -100_000, max: 100_000, cellSize: 100 });
      const frames = record(watcher.socket);
      await sendPosition(cFar.socket, { x: 950, y: 950, seq: 1 });
      await sendPosition(cNear.socket, { x: 150, y: 50, seq: 1 });
      await eventually(() => frames.length > 0, 5000, 'a frame for the near player');
      await sleep(150);
      const seen = frames.flatMap((f) => decodePackedFrame(f as Buffer));
      expect(seen).toEqual([{ n: cNear.welcome.self.n, x: 150, y: 50, z: 0, heading: 0, seq: 1, t: expect.any(Number) }]);
    } finally {
      for (const c of [watcher, cNear, cFar]) c.socket.close();
    }
  });
});

/** The `players:moved` frames of one long-poll (a binary event is its text packet, then its attachment as base64). */
async function packedFrames(client: StalledPollingClient): Promise<Buffer[]> {
  const packets = await client.packets();
  const frames: Buffer[] = [];
  packets.forEach((p, i) => {
    if (p.startsWith('451-["players:moved"')) frames.push(Buffer.from(packets[i + 1].slice(1), 'base64'));
    if (p.startsWith('42["players:moved"')) throw new Error('a JSON players:moved reached a packed client');
  });
  return frames;
}

describe('compact wire mode for slow clients', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '10', SLOW_CLIENT_MAX_QUEUED_PACKETS: '3', RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SECOND: '1000' });
  });
  afterAll(() => server.close());

  it('keeps a bounded queue for a packed client that stops reading, then sends the backlog as one packed frame', async () => {
    const [mover, stalled] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const slow = new StalledPollingClient(server.url);
    await slow.open({ token: stalled.token, format: 'packed' });
    const { socket, welcome } = await connect(server.url, mover.token);
    try {
      for (let seq = 1; seq <= 30; seq++) {
        await sendPosition(socket, { x: seq, y: 0, seq });
        await sleep(20);
      }
      await sleep(50);
      const queued = await packedFrames(slow);
      expect(queued.length).toBeGreaterThan(0);
      expect(queued.length).toBeLessThanOrEqual(5);
      const caughtUp = await packedFrames(slow);
      const latest = [...queued, ...caughtUp].flatMap((f) => decodePackedFrame(f));
      expect(latest[latest.length - 1]).toMatchObject({ n: welcome.self.n, x: 30, seq: 30 });
    } finally {
      socket.close();
      await slow.close();
    }
  });
});

describeOnPostgres('player numbers on several nodes', () => {
  let one: TestServer;
  let two: TestServer;
  beforeAll(async () => {
    one = await startTestServer({ REDIS_URL });
    two = await startTestServer({ REDIS_URL, DATABASE_SCHEMA: one.settings.databaseSchema });
  });
  afterAll(async () => {
    await two.running.close();
    await one.close();
  });

  it('agrees on the numbers across nodes, keeps one across a takeover to another node, and frees it when the player leaves', async () => {
    const [a, b, c] = await Promise.all([registerAndLogin(one.url), registerAndLogin(one.url), registerAndLogin(one.url)]);
    const ca = await connectPacked(one.url, a.token);
    const cb = await connect(two.url, b.token);
    try {
      expect(new Set([ca.welcome.self.n, cb.welcome.self.n]).size).toBe(2);
      expect(cb.welcome.players).toContainEqual(expect.objectContaining({ id: a.player.id, n: ca.welcome.self.n }));

      // B's movements reach A (on the other node) as a packed frame naming B by B's number.
      const frame = nextEvent(ca.socket, 'players:moved', (f: Buffer) => decodePackedFrame(f).some((e) => e.seq === 7));
      await sendPosition(cb.socket, { x: 5, y: 6, seq: 7 });
      expect(decodePackedFrame(await frame)).toEqual([{ n: cb.welcome.self.n, x: 5, y: 6, z: 0, heading: 0, seq: 7, t: expect.any(Number) }]);

      // Takeover of B from node two to node one: same number.
      const replaced = nextEvent(cb.socket, 'session:replaced');
      const newer = await connect(one.url, b.token);
      await replaced;
      expect(newer.welcome.self.n).toBe(cb.welcome.self.n);
      expect(await arrives(ca.socket, 'player:left', 500, (p) => p.id === b.player.id)).toBe(false);

      // B leaves; C, on node two, gets B's freed number.
      newer.socket.close();
      await untilDisconnectRecorded(one.dataSource, b.player.id, 2);
      const cc = await connect(two.url, c.token);
      cc.socket.close();
      expect(cc.welcome.self.n).toBe(cb.welcome.self.n);
    } finally {
      ca.socket.close();
      cb.socket.close();
    }
  });
});
