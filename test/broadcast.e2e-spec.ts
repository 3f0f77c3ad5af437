import { arrives, connect, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { startTestServer, TestServer } from './support/test-server';

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

/** A minimal engine.io v4 long-polling client that can stop reading, like a stalled game client. */
class StalledPollingClient {
  private sid = '';
  constructor(private readonly base: string) {}

  private url(): string {
    return `${this.base}/socket.io/?EIO=4&transport=polling${this.sid ? `&sid=${this.sid}` : ''}`;
  }

  async open(token: string): Promise<void> {
    const handshake = await (await fetch(this.url())).text();
    this.sid = JSON.parse(handshake.slice(1)).sid;
    await fetch(this.url(), { method: 'POST', body: `40${JSON.stringify({ token })}` });
    await this.poll(); // the namespace connect and the welcome
  }

  /** One long-poll: the Socket.IO events it carried, as [name, data]. */
  async poll(): Promise<[string, any][]> {
    const body = await (await fetch(this.url())).text();
    return body
      .split('\x1e')
      .filter((p) => p.startsWith('42'))
      .map((p) => JSON.parse(p.slice(2)));
  }

  async close(): Promise<void> {
    await fetch(this.url(), { method: 'POST', body: '1' }).catch(() => undefined);
  }
}

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
    await slow.open(stalled.token);
    const { socket } = await connect(server.url, mover.token);
    try {
      // ~60 ticks of movement while the slow client does not poll.
      for (let seq = 1; seq <= 30; seq++) {
        await sendPosition(socket, { x: seq, y: 0, seq });
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 50));

      const queued = (await slow.poll()).filter(([name]) => name === 'players:moved');
      // Without the bound there would be one packet per tick that had a movement (~30).
      expect(queued.length).toBeGreaterThan(0);
      expect(queued.length).toBeLessThanOrEqual(5);

      // Once it reads again, the backlog arrives coalesced: the mover's latest position.
      const caughtUp = (await slow.poll()).filter(([name]) => name === 'players:moved');
      const latest = [...queued, ...caughtUp].flatMap(([, list]) => list).filter((m: any) => m.id === mover.player.id);
      expect(latest[latest.length - 1]).toMatchObject({ x: 30, seq: 30 });
    } finally {
      socket.close();
      await slow.close();
    }
  });
});
