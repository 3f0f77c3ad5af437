import { createServer as createHttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { io, Socket } from 'socket.io-client';
import { ConnectionState, WaypointClient, WaypointOptions } from '../src/client/waypoint.mjs';
import { connect, registerAndLogin, sendPosition } from './support/clients';
import { serverSocketOf, startTestServer, TestServer } from './support/test-server';
import { eventually, sleep } from './replay-support';
import { CuttableLink } from './support/cuttable-link';
import { launchChromium } from './support/page-browser';

/** socket.io-client's io, recording every `position` the library emits. */
function recordingIo(sent: { seq: number; welcomes: number }[], welcomes: { count: number }): WaypointOptions['io'] {
  return (url, options) => {
    const socket: Socket = io(url, options);
    socket.on('welcome', () => welcomes.count++);
    socket.onAnyOutgoing((event, payload) => {
      if (event === 'position') sent.push({ seq: payload.seq, welcomes: welcomes.count });
    });
    return socket;
  };
}

describe('the client library against the server', () => {
  let server: TestServer;
  const clients: WaypointClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    await server.close();
  });

  it('decodes packed frames into entries named by id and interpolates the other players', async () => {
    const [me, other] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const mover = await connect(server.url, other.token);
    try {
      const client = new WaypointClient({ url: server.url, token: me.token, io, transports: ['websocket'] });
      clients.push(client);
      const welcomed = new Promise((r) => client.on('welcome', r));
      client.connect();
      await welcomed;
      expect(client.players.get(other.player.id)).toEqual({ id: other.player.id, username: other.player.username, n: mover.welcome.self.n });
      const moved: any[] = [];
      client.on('moved', (entries) => moved.push(...entries));
      for (let k = 1; k <= 4; k++) {
        await sendPosition(mover.socket, { x: 10 * k, y: 0.5, seq: k });
        await sleep(60);
      }
      await eventually(() => moved.some((e) => e.seq === 4), 5000, 'the last move decoded');
      expect(moved.find((e) => e.seq === 4)).toEqual({ id: other.player.id, x: 40, y: 0.5, z: 0, heading: 0, seq: 4, t: expect.any(Number) });
      // Long after the last move the drawn pose rests on it.
      await sleep(200);
      expect(client.poses().get(other.player.id)).toEqual({ x: 40, y: 0.5, z: 0, heading: 0 });
    } finally {
      mover.socket.close();
    }
  });

  it('keeps positions sent while the link is down, reconnects with backoff in the same client session, and sends them again', async () => {
    const me = await registerAndLogin(server.url);
    const link = await new CuttableLink(server.running.port).start();
    const sent: { seq: number; welcomes: number }[] = [];
    const welcomes = { count: 0 };
    const states: { state: ConnectionState; waiting: number; retryInMs?: number }[] = [];
    const client = new WaypointClient({
      url: link.url,
      token: me.token,
      io: recordingIo(sent, welcomes),
      transports: ['websocket'],
      backoff: { initialMs: 100, maxMs: 2_000, factor: 2 },
      random: () => 1,
    });
    clients.push(client);
    client.on('state', (s) => states.push(s));
    const resumes: unknown[] = [];
    client.on('welcome', (w) => resumes.push(w.resume));
    try {
      client.connect();
      await eventually(() => client.state === 'online', 5000, 'online');
      const firstSession = serverSocketOf(server, me.player.id)!.handshake.auth;
      expect(firstSession).toMatchObject({ token: me.token, clientSession: client.clientSession, format: 'packed' });

      for (let i = 0; i < 5; i++) client.send({ x: i, y: 1 });
      await eventually(() => client.waiting === 0, 5000, 'the first five acknowledged');
      client.send({ x: 5, y: 1 }); // seq 6, on its way as the link goes
      link.cut(1_200);
      await eventually(() => client.state === 'reconnecting', 5000, 'the cut noticed');
      for (let i = 6; i < 10; i++) client.send({ x: i, y: 1 }); // seqs 7..10 while down
      expect(client.waiting).toBeGreaterThanOrEqual(4);
      await eventually(() => welcomes.count === 2 && client.waiting === 0, 10_000, 'back, and everything acknowledged');

      // Within the first session seqs 1..6 went out; after the second welcome, every one not
      // acknowledged before the cut, in order, then nothing else.
      const again = sent.filter((s) => s.welcomes === 2).map((s) => s.seq);
      expect(again[again.length - 1]).toBe(10);
      expect(again).toEqual(Array.from({ length: again.length }, (_, i) => 11 - again.length + i));
      expect(again.length).toBeGreaterThanOrEqual(4);
      // The server said which were recorded; the library sent again only those after.
      expect(resumes).toEqual([
        { clientSession: client.clientSession, lastSeq: null },
        { clientSession: client.clientSession, lastSeq: again[0] - 1 },
      ]);
      expect(sent.filter((s) => s.welcomes === 1).map((s) => s.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      // Exponential backoff while the link stayed down: 100, 200, 400 … ms.
      const waits = states.filter((s) => s.retryInMs !== undefined).map((s) => s.retryInMs);
      expect(waits.slice(0, 3)).toEqual([100, 200, 400]);
      expect(serverSocketOf(server, me.player.id)!.handshake.auth.clientSession).toBe(client.clientSession);
      // Every seq recorded exactly once: what welcome.resume said was recorded was not sent again.
      const rows = await server.dataSource.query(`SELECT (data->>'seq')::int AS seq FROM events WHERE stream_id = $1 ORDER BY stream_version`, [
        `movement-${me.player.id}`,
      ]);
      expect(rows.map((r: { seq: number }) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      client.close();
      await link.close();
    }
  });

  it('runs in Chromium as served: modules from /client/ and socket.io-client from the server', async () => {
    const [me, other] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const mover = await connect(server.url, other.token);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url + '/');
      // As a string: the test's own compiler would turn import() into require().
      const started = page.evaluate(`(async (token) => {
        const { io } = await import('/socket.io/socket.io.esm.min.js');
        const { WaypointClient } = await import('/client/waypoint.js');
        const client = new WaypointClient({ url: location.origin, token, io });
        window.moved = [];
        client.on('moved', (entries) => window.moved.push(...entries));
        const acked = new Promise((r) => client.on('ack', r));
        await new Promise((r) => {
          client.on('welcome', r);
          client.connect();
        });
        client.send({ x: 7, y: 8 });
        return { ack: await acked, format: client.format };
      })(${JSON.stringify(me.token)})`);
      expect(await started).toEqual({ ack: { seq: 1, duplicate: false }, format: 'packed' });
      await sendPosition(mover.socket, { x: 1.5, y: 2.5, seq: 99 });
      await page.waitForFunction(() => ((window as any).moved ?? []).some((e: any) => e.seq === 99));
      const entry = await page.evaluate(() => (window as any).moved.find((e: any) => e.seq === 99));
      expect(entry).toEqual({ id: other.player.id, x: 1.5, y: 2.5, z: 0, heading: 0, seq: 99, t: expect.any(Number) });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      mover.socket.close();
    }
  });

  it('stops on a refused token instead of reconnecting', async () => {
    const client = new WaypointClient({ url: server.url, token: 'not-a-token', io, transports: ['websocket'] });
    clients.push(client);
    const error = new Promise((r) => client.on('error', r));
    client.connect();
    expect(await error).toMatchObject({ code: 'unauthorized' });
    expect(client.state).toBe('closed');
  });
});

describe('the client library resuming a session', () => {
  /**
   * A stand-in for a server that resumes sessions: it acknowledges seqs 1 and 2, takes 3
   * and 4 without answering, drops the connection, and on the reconnect says 4 was the
   * last recorded. Only what it says it has not recorded may come again.
   */
  it('drops what welcome.resume.lastSeq covers and resends the rest with the same seqs', async () => {
    const http = createHttpServer();
    const ioServer = new IoServer(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const received: { session: number; seq: number; clientSession: string }[] = [];
    let sessions = 0;
    ioServer.on('connection', (socket) => {
      const session = ++sessions;
      const { clientSession } = socket.handshake.auth;
      socket.emit('welcome', {
        self: { id: 'me', username: 'me', n: 0 },
        position: null,
        players: [],
        world: { min: -10, max: 10, cellSize: null },
        resume: { clientSession, lastSeq: session === 1 ? null : 4 },
      });
      socket.on('position', (p, ack) => {
        received.push({ session, seq: p.seq, clientSession });
        if (session === 1 && p.seq >= 3) {
          if (p.seq === 4) setTimeout(() => socket.conn.close(), 20); // the acks of 3 and 4 are lost
          return;
        }
        ack({ ok: true, seq: p.seq });
      });
    });
    const client = new WaypointClient({ url, token: 't', io, transports: ['websocket'], backoff: { initialMs: 50 } });
    try {
      client.connect();
      await eventually(() => client.state === 'online', 5000, 'online');
      for (let i = 0; i < 4; i++) client.send({ x: i, y: 0 });
      await eventually(() => client.state === 'reconnecting', 5000, 'dropped');
      client.send({ x: 5, y: 0 }); // seq 5, while down
      await eventually(() => sessions === 2 && client.waiting === 0, 5000, 'resumed and acknowledged');
      expect(received.filter((r) => r.session === 2).map((r) => r.seq)).toEqual([5]);
      expect(new Set(received.map((r) => r.clientSession))).toEqual(new Set([client.clientSession]));
      expect(client.clientSession).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    } finally {
      client.close();
      ioServer.close();
    }
  });
});
