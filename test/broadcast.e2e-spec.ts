import { MovementBatcher } from '../src/movement/record-movement/movement-batcher';
import { arrives, connect, nextEvent, registerAndLogin, sendPosition, streamPositions } from './support/clients';
import { serverSocketOf, startTestServer, TestServer } from './support/test-server';
import { StalledPollingClient } from './support/stalled-polling-client';

describe('area of interest (AREA_OF_INTEREST_CELL_SIZE)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AREA_OF_INTEREST_CELL_SIZE: '100', BROADCAST_INTERVAL_MS: '20' });
  });
  afterAll(() => server.close());

  it('sends a movement only to players in the same or a neighbouring cell', async () => {
    const [a, near, far] = await Promise.all([0, 1, 2].map(() => registerAndLogin(server.url)));
    const ca = await connect(server.url, a.token);
    const cNear = await connect(server.url, near.token);
    const cFar = await connect(server.url, far.token);
    try {
      await sendPosition(ca.socket, { x: 50, y: 50, seq: 1 });
      await sendPosition(cNear.socket, { x: 150, y: 50, seq: 1 }); // the cell to the right
      await sendPosition(cFar.socket, { x: 950, y: 950, seq: 1 }); // far away
      await new Promise((r) => setTimeout(r, 100)); // let subscriptions follow the moves

      const nearSees = nextEvent<any[]>(cNear.socket, 'players:moved', (l) => l.some((m) => m.id === a.player.id && m.seq === 2));
      const farSees = arrives(cFar.socket, 'players:moved', 500, (l: any[]) => l.some((m) => m.id === a.player.id));
      const farSeesItself = nextEvent<any[]>(cFar.socket, 'players:moved', (l) => l.some((m) => m.id === far.player.id && m.seq === 2));
      await sendPosition(ca.socket, { x: 60, y: 60, seq: 2 });
      await sendPosition(cFar.socket, { x: 951, y: 951, seq: 2 });
      await nearSees;
      await farSeesItself; // the far client is listening, it just is not told about A
      expect(await farSees).toBe(false);

      // Walking into A's neighbourhood makes A visible.
      await sendPosition(cFar.socket, { x: 120, y: 120, seq: 3 });
      await new Promise((r) => setTimeout(r, 100));
      const nowSees = nextEvent<any[]>(cFar.socket, 'players:moved', (l) => l.some((m) => m.id === a.player.id && m.seq === 3));
      await sendPosition(ca.socket, { x: 61, y: 61, seq: 3 });
      await nowSees;
    } finally {
      for (const c of [ca, cNear, cFar]) c.socket.close();
    }
  });
});


describe('slow clients (SLOW_CLIENT_MAX_QUEUED_PACKETS)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '10', SLOW_CLIENT_MAX_QUEUED_PACKETS: '3', RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SECOND: '1000' });
  });
  afterAll(() => server.close());

  it('keeps only a bounded queue for a client that stops reading, then sends the latest position per player', async () => {
    const mover = await registerAndLogin(server.url);
    const stalled = await registerAndLogin(server.url);
    const slow = new StalledPollingClient(server.url);
    await slow.open({ token: stalled.token });
    const { socket } = await connect(server.url, mover.token);
    try {
      // ~60 ticks of movement while the slow client does not poll.
      for (let seq = 1; seq <= 30; seq++) {
        await sendPosition(socket, { x: seq, y: 0, seq });
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 50));

      const queued = (await slow.events()).filter(([name]) => name === 'players:moved');
      // Without the bound there would be one packet per tick that had a movement (~30).
      expect(queued.length).toBeGreaterThan(0);
      expect(queued.length).toBeLessThanOrEqual(5);

      // Once it reads again, the backlog arrives coalesced: the mover's latest position.
      const caughtUp = (await slow.events()).filter(([name]) => name === 'players:moved');
      const latest = [...queued, ...caughtUp].flatMap(([, list]) => list).filter((m: any) => m.id === mover.player.id);
      expect(latest[latest.length - 1]).toMatchObject({ x: 30, seq: 30 });
    } finally {
      socket.close();
      await slow.close();
    }
  });
});

describe('broadcast timing (BROADCAST_INTERVAL_MS, APPEND_BATCH_WINDOW_MS)', () => {
  let server: TestServer;
  // A long interval and window, so that "at once" and "one interval later" are far apart.
  const intervalMs = 1_000;
  const windowMs = 300;
  beforeAll(async () => {
    server = await startTestServer({
      BROADCAST_INTERVAL_MS: String(intervalMs),
      APPEND_BATCH_WINDOW_MS: String(windowMs),
      RATE_LIMIT_BURST: '1000',
      RATE_LIMIT_PER_SECOND: '1000',
    });
  });
  afterAll(() => server.close());

  /** Sleeps until `phaseMs` into a broadcast tick (ticks are slots of the wall clock, BroadcastTicks). */
  const untilPhase = (phaseMs: number) =>
    new Promise((r) => setTimeout(r, (phaseMs - (Date.now() % intervalMs) + intervalMs) % intervalMs));

  it('sends a recorded movement at once when its tick has had no broadcast, else when the next tick begins', async () => {
    const [mover, watcher] = await Promise.all([0, 1].map(() => registerAndLogin(server.url)));
    const cm = await connect(server.url, mover.token);
    const cw = await connect(server.url, watcher.token);
    try {
      await new Promise((r) => setTimeout(r, intervalMs + 100)); // nothing broadcast for longer than a tick
      // Early in a tick: the first broadcast lands in it, and the second movement, one
      // batch window later, is recorded before the tick ends, with 400 ms to spare for a
      // loaded machine.
      await untilPhase(intervalMs * 0.3);
      const tick = Math.floor(Date.now() / intervalMs);
      const seen = (seq: number) => nextEvent<any[]>(cw.socket, 'players:moved', (l) => l.some((m) => m.id === mover.player.id && m.seq === seq));
      const first = seen(1);
      const sentAt = Date.now();
      await sendPosition(cm.socket, { x: 1, y: 1, seq: 1 }); // acked after its commit
      const ackedAt = Date.now();
      await first;
      const firstAt = Date.now();
      // Due already: out with its commit, not at a tick of a timer of its own.
      expect(firstAt - ackedAt).toBeLessThan(intervalMs / 4);
      expect(ackedAt - sentAt).toBeLessThan(windowMs + intervalMs / 4);

      const second = seen(2);
      await sendPosition(cm.socket, { x: 2, y: 2, seq: 2 });
      expect(Math.floor(Date.now() / intervalMs)).toBe(tick); // recorded in the tick that had the first broadcast
      await second;
      const secondAt = Date.now();
      // Held until the next tick begins: not sooner, and not a whole interval after the first.
      expect(secondAt).toBeGreaterThanOrEqual((tick + 1) * intervalMs - 5);
      expect(secondAt).toBeLessThan((tick + 1) * intervalMs + intervalMs / 4);
    } finally {
      cm.socket.close();
      cw.socket.close();
    }
  });

  it("writes a mover's ack and the batch's broadcast to its socket in one write", async () => {
    const [mover, watcher] = await Promise.all([0, 1].map(() => registerAndLogin(server.url)));
    const cm = await connect(server.url, mover.token);
    const cw = await connect(server.url, watcher.token);
    try {
      // Every write of the mover's TCP socket on the server, as the chunks it carried.
      const tcp = (serverSocketOf(server, mover.player.id)!.conn as any).transport.socket._socket;
      const writes: string[] = [];
      const write = tcp._write.bind(tcp);
      const writev = tcp._writev.bind(tcp);
      tcp._write = (chunk: Buffer, encoding: BufferEncoding, done: () => void) => (writes.push(String(chunk)), write(chunk, encoding, done));
      tcp._writev = (chunks: { chunk: Buffer }[], done: () => void) => (writes.push(chunks.map((c) => String(c.chunk)).join('')), writev(chunks, done));

      await new Promise((r) => setTimeout(r, intervalMs + 100)); // a tick with no broadcast yet: this batch's goes out with its commit
      const seen = nextEvent<any[]>(cw.socket, 'players:moved', (l) => l.some((m) => m.id === mover.player.id && m.seq === 7));
      expect(await sendPosition(cm.socket, { x: 3, y: 4, seq: 7 })).toEqual({ ok: true, seq: 7 });
      await seen;
      await new Promise((r) => setTimeout(r, 50));
      const ack = writes.filter((w) => w.includes('{"ok":true,"seq":7}'));
      expect(ack).toHaveLength(1);
      expect(ack[0]).toContain('"players:moved"');
    } finally {
      cm.socket.close();
      cw.socket.close();
    }
  });

  it('begins at most one batch per window under a steady stream', async () => {
    const players = await Promise.all([0, 1, 2].map(() => registerAndLogin(server.url)));
    const sockets = await Promise.all(players.map((p) => connect(server.url, p.token)));
    // When the lane hands each batch over (the batcher's write, called through): the
    // instant a batch begins. The stamps in the database come later by a delay that varies
    // (the first batch also loads the streams' versions), which made their gaps noisy.
    const batcher = server.running.app.get(MovementBatcher) as unknown as { write: (...args: unknown[]) => Promise<void> };
    const handOver = batcher.write.bind(batcher);
    const begun: number[] = [];
    const spy = jest.spyOn(batcher, 'write').mockImplementation((...args) => (begun.push(Date.now()), handOver(...args)));
    try {
      // Three players send without waiting for acks for ~1.5 s, so positions are always
      // queued when a commit ends: without the window, batches would follow each other.
      await streamPositions(sockets.map((c) => c.socket), 1_500);
      const gaps = begun.slice(1).map((at, i) => at - begun[i]);
      expect(begun.length).toBeGreaterThan(3);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(windowMs - 5);
      // And every batch went to the database: one transaction each.
      const [{ batches }] = await server.dataSource.query(
        `SELECT count(DISTINCT transaction_id)::int AS batches FROM events WHERE type = 'PlayerMoved' AND stream_id = ANY($1)`,
        [players.map((p) => `movement-${p.player.id}`)],
      );
      expect(batches).toBe(begun.length);
    } finally {
      spy.mockRestore();
      for (const { socket } of sockets) socket.close();
    }
  });
});
