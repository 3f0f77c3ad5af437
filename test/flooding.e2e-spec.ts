import { Socket } from 'socket.io-client';
import { connect, LoggedIn, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { startTestServer, TestServer } from './support/test-server';

/**
 * A connection sending far above its rate limit is told once, `error` flooding, and
 * disconnected (FLOOD_MAX_MESSAGES_PER_SECOND over FLOOD_WINDOW_MS); below that the
 * rate limit answers every message as before, and other players are not held up.
 */
describe('flooding', () => {
  // Rate limit 20/s, bursts of 40: at most 40 + 20 = 60 accepted in a 1 s window; the
  // cut-off is 200 messages within 1 s.
  const FLOOD = { RATE_LIMIT_PER_SECOND: '20', RATE_LIMIT_BURST: '40', FLOOD_MAX_MESSAGES_PER_SECOND: '200', FLOOD_WINDOW_MS: '1000', FLOOD_COOLDOWN_MS: '1500' };
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(FLOOD);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Everything a client hears until it is disconnected (or `ms` pass). */
  function listen(socket: Socket, ms = 5_000): Promise<{ errors: any[]; reason: string | null }> {
    const errors: any[] = [];
    socket.on('error', (e) => errors.push(e));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ errors, reason: null }), ms);
      socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        // Anything already in flight arrives before the disconnect; give a stray one a moment.
        setTimeout(() => resolve({ errors, reason }), 100);
      });
    });
  }

  async function movements(player: LoggedIn): Promise<number> {
    const [{ n }] = await server.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [`movement-${player.player.id}`]);
    return n;
  }

  it.each([['websocket'], ['polling']] as const)('cuts off a %s client sending 10× the threshold with exactly one flooding error; it may reconnect after the cool-down', async (transport) => {
    const flooder = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, flooder.token, [transport]);
    const heard = listen(socket);
    for (let seq = 0; seq < 2_000; seq++) socket.emit('position', { x: 1, y: 1, seq });
    const { errors, reason } = await heard;
    expect(reason).toBe('io server disconnect');
    const floods = errors.filter((e) => e.code === 'flooding');
    expect(floods).toEqual([{ code: 'flooding', message: expect.stringContaining('more than 200 messages within 1000 ms') }]);
    // What the rate limit accepted before the cut, and nothing after it.
    expect(await movements(flooder)).toBeLessThanOrEqual(60);
    socket.close();

    // At once it is refused (FLOOD_COOLDOWN_MS), saying for how long; after that it is welcome.
    const refused = await connect(server.url, flooder.token, [transport]).catch((error) => error);
    expect(refused).toMatchObject({ message: 'flooding', data: { retryAfterMs: expect.any(Number) } });
    await new Promise((r) => setTimeout(r, refused.data.retryAfterMs + 50));
    const again = await connect(server.url, flooder.token, [transport]);
    await expect(sendPosition(again.socket, { x: 2, y: 2, seq: 10_000 })).resolves.toEqual({ ok: true, seq: 10_000 });
    again.socket.close();
  });

  it('counts messages of any event name: a flood of unknown events is cut off too', async () => {
    const flooder = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, flooder.token);
    const heard = listen(socket);
    for (let i = 0; i < 2_000; i++) socket.emit('nonsense', i);
    const { errors, reason } = await heard;
    expect(reason).toBe('io server disconnect');
    expect(errors.filter((e) => e.code === 'flooding')).toHaveLength(1);
    socket.close();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^waypoint_flood_cutoffs_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('leaves a client over its rate limit but under the threshold connected, answered rate_limited as before', async () => {
    const eager = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, eager.token);
    const heard = listen(socket, 2_500);
    // 150 messages per second (7.5× the rate limit) for 2 s: 300 in all, never 200 within 1 s.
    const answers: Promise<any>[] = [];
    for (let tick = 0; tick < 20; tick++) {
      for (let i = 0; i < 15; i++) answers.push(sendPosition(socket, { x: 1, y: 1, seq: tick * 15 + i }));
      await new Promise((r) => setTimeout(r, 100));
    }
    const all = await Promise.all(answers);
    expect(all).toHaveLength(300);
    expect(all.filter((a) => a.ok).length).toBeGreaterThanOrEqual(40);
    expect(all.filter((a) => !a.ok).every((a) => a.error.code === 'rate_limited')).toBe(true);
    const { errors, reason } = await heard;
    expect(reason).toBeNull();
    expect(errors).toEqual([]);
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('keeps acknowledging other players while one floods', async () => {
    const [flooder, steady] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const flooding = await connect(server.url, flooder.token);
    const calm = await connect(server.url, steady.token);
    const cut = nextEvent(flooding.socket, 'error', (e) => e.code === 'flooding');
    const acks: Promise<any>[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 500; i++) flooding.socket.emit('position', { x: 1, y: 1, seq: round * 500 + i });
      acks.push(sendPosition(calm.socket, { x: round, y: 0, seq: round }));
      await new Promise((r) => setTimeout(r, 50));
    }
    await cut;
    const answers = await Promise.all(acks);
    expect(answers).toEqual(Array.from({ length: 10 }, (_, seq) => ({ ok: true, seq })));
    expect(calm.socket.connected).toBe(true);
    flooding.socket.close();
    calm.socket.close();
  });
});

describe('flooding cut-off turned off', () => {
  it('answers every message of a flood when FLOOD_MAX_MESSAGES_PER_SECOND is off', async () => {
    const server = await startTestServer({ RATE_LIMIT_PER_SECOND: '20', RATE_LIMIT_BURST: '40', FLOOD_MAX_MESSAGES_PER_SECOND: 'off' });
    try {
      const { token } = await registerAndLogin(server.url);
      const { socket } = await connect(server.url, token);
      const answers = await Promise.all(Array.from({ length: 1_000 }, (_, seq) => sendPosition(socket, { x: 1, y: 1, seq })));
      expect(answers.filter((a) => !a.ok).every((a) => a.error.code === 'rate_limited')).toBe(true);
      expect(socket.connected).toBe(true);
      socket.close();
    } finally {
      await server.close();
    }
  });
});
