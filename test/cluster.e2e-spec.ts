import Redis from 'ioredis';
import { io } from 'socket.io-client';
import { arrives, connect, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { describeOnPostgres, startTestServer, testEnv, TestServer } from './support/test-server';
import { analyst, eventually, get } from './replay-support';
import { freePort, startRedis, stop } from './support/processes';

/**
 * Two nodes, one world: the same PostgreSQL schema and a real Redis (REDIS_URL, default
 * the machine's 127.0.0.1:6379). Two nodes need a database both can reach at once, so
 * this runs on PostgreSQL only, not on the embedded default.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describeOnPostgres('several nodes joined by Redis', () => {
  let one: TestServer;
  let two: TestServer;
  beforeAll(async () => {
    one = await startTestServer({ REDIS_URL, BROADCAST_INTERVAL_MS: '20' });
    two = await startTestServer({ REDIS_URL, BROADCAST_INTERVAL_MS: '20', DATABASE_SCHEMA: one.settings.databaseSchema });
  });
  afterAll(async () => {
    await two.running.close();
    await one.close();
  });

  it('shows players on different nodes to each other: welcome, join, moves, leave', async () => {
    const a = await registerAndLogin(one.url);
    const b = await registerAndLogin(two.url);
    const ca = await connect(one.url, a.token);
    const joined = nextEvent(ca.socket, 'player:joined', (p) => p.id === b.player.id);
    const cb = await connect(two.url, b.token);
    try {
      expect(await joined).toMatchObject({ id: b.player.id, username: b.player.username });
      expect(cb.welcome.players.map((p: { id: string }) => p.id)).toContain(a.player.id);

      const aSeesB = nextEvent<any[]>(ca.socket, 'players:moved', (l) => l.some((m) => m.id === b.player.id && m.seq === 5));
      await sendPosition(cb.socket, { x: 3, y: 4, seq: 5 });
      expect((await aSeesB).find((m) => m.id === b.player.id)).toMatchObject({ x: 3, y: 4 });

      // A newcomer on node one lists B (on node two) with B's latest position.
      const c = await registerAndLogin(one.url);
      const cc = await connect(one.url, c.token);
      expect(cc.welcome.players).toContainEqual({ id: b.player.id, username: b.player.username, n: cb.welcome.self.n, position: expect.objectContaining({ x: 3, y: 4 }) });
      cc.socket.close();

      const left = nextEvent(ca.socket, 'player:left', (p) => p.id === b.player.id);
      cb.socket.close();
      await left;
    } finally {
      ca.socket.close();
      cb.socket.close();
    }
  });

  it('takes a session over across nodes without player:left or player:joined', async () => {
    const watcher = await registerAndLogin(one.url);
    const me = await registerAndLogin(one.url);
    const w = await connect(one.url, watcher.token);
    const older = await connect(one.url, me.token);
    try {
      await sendPosition(older.socket, { x: 1, y: 1, seq: 1 });
      const replaced = nextEvent(older.socket, 'session:replaced');
      const noticed = Promise.race([
        arrives(w.socket, 'player:left', 1000, (p) => p.id === me.player.id),
        arrives(w.socket, 'player:joined', 1000, (p) => p.id === me.player.id),
      ]);
      const newer = await connect(two.url, me.token);
      expect(await replaced).toEqual({ reason: 'replaced' });
      expect(await noticed).toBe(false);
      expect(newer.welcome.position).toMatchObject({ x: 1, y: 1 });
      // The stream goes on from the other node with the next version.
      await expect(sendPosition(newer.socket, { x: 2, y: 2, seq: 2 })).resolves.toEqual({ ok: true, seq: 2 });
      const versions = await one.dataSource.query(`SELECT stream_version::int AS v FROM events WHERE stream_id = $1 ORDER BY 1`, [
        `movement-${me.player.id}`,
      ]);
      expect(versions.map((r: { v: number }) => r.v)).toEqual([1, 2]);
      newer.socket.close();
    } finally {
      w.socket.close();
      older.socket.close();
    }
  });

  it('lists a player connected to either node as online in GET /players on both', async () => {
    const reader = await analyst(one);
    const player = await registerAndLogin(one.url);
    const onlineOn = async (node: TestServer) => {
      const answer = await get(`${node.url}/players`, reader.token);
      expect(answer.status).toBe(200);
      return answer.body.find((p: { id: string }) => p.id === player.player.id).online;
    };
    expect([await onlineOn(one), await onlineOn(two)]).toEqual([false, false]);
    const client = await connect(two.url, player.token);
    try {
      expect([await onlineOn(one), await onlineOn(two)]).toEqual([true, true]);
    } finally {
      client.socket.close();
    }
    await eventually(async () => !(await onlineOn(one)) && !(await onlineOn(two)), 5_000, 'offline on both nodes');
  });
});

describeOnPostgres('nodes starting together on a new database', () => {
  it('all start, and the schema is created and migrated once', async () => {
    // As when a deployment starts every node at once against an empty database.
    const env = await testEnv({ REDIS_URL });
    const started = await Promise.allSettled([startTestServer({}, env), startTestServer({}, { ...env })]);
    const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'started'))).toEqual(['started', 'started']);
      const applied: { name: string }[] = await nodes[0].dataSource.query(`SELECT name FROM migrations ORDER BY id`);
      expect(applied.map((m) => m.name)).toEqual([...new Set(applied.map((m) => m.name))]);
      expect(applied.length).toBeGreaterThan(0);
      // Both serve the same world.
      const a = await registerAndLogin(nodes[0].url);
      const ca = await connect(nodes[1].url, a.token);
      expect(await sendPosition(ca.socket, { x: 1, y: 2, seq: 1 })).toEqual({ ok: true, seq: 1 });
      ca.socket.close();
    } finally {
      for (const node of nodes.slice(1)) await node.running.close();
      await nodes[0]?.close();
    }
  });
});

describeOnPostgres('a node that is subscribed but does not answer (CLUSTER_REQUEST_TIMEOUT_MS)', () => {
  it('refuses new sessions as unavailable and answers GET /players 503, naming the setting, until that node is gone', async () => {
    // 3 s, above the 2 s default, so the wait shows which one is used.
    const node = await startTestServer({ REDIS_URL, CLUSTER_REQUEST_TIMEOUT_MS: '3000' });
    // A frozen node: subscribed to this world's requests between nodes, never answering.
    const frozen = new Redis(REDIS_URL);
    try {
      const reader = await analyst(node);
      const player = await registerAndLogin(node.url);
      await frozen.subscribe(`waypoint:${node.settings.databaseSchema}-request#/#`);

      const asked = Date.now();
      const list = await get(`${node.url}/players`, reader.token);
      expect(Date.now() - asked).toBeGreaterThanOrEqual(2_900); // waited the setting, not the 2 s default
      expect(list.status).toBe(503);
      expect(list.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'who is online on the other nodes cannot be read: a node did not answer within 3000 ms (CLUSTER_REQUEST_TIMEOUT_MS); retry shortly',
      });
      const refused = io(node.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: player.token } });
      try {
        expect(await nextEvent(refused, 'error', () => true, 15_000)).toEqual({ code: 'unavailable', message: 'the server could not start your session; reconnect shortly' });
      } finally {
        refused.close();
      }

      // Gone from Redis (it ended, or Redis dropped its connection): the answers come back.
      await frozen.unsubscribe();
      expect((await get(`${node.url}/players`, reader.token)).status).toBe(200);
      const welcomed = await connect(node.url, player.token);
      welcomed.socket.close();
    } finally {
      frozen.disconnect();
      await node.close();
    }
  });

  it('answers unavailable and 503 when its own Redis does not answer it, instead of waiting for as long as the link hangs', async () => {
    // A Redis of the test's own, paused: this node's link is up but nothing comes back,
    // as over a half-open connection.
    const redis = await startRedis(await freePort());
    const url = `redis://127.0.0.1:${(redis.spawnargs[redis.spawnargs.indexOf('--port') + 1])}`;
    const node = await startTestServer({ REDIS_URL: url, CLUSTER_REQUEST_TIMEOUT_MS: '300' });
    const control = new Redis(url);
    try {
      const reader = await analyst(node);
      const player = await registerAndLogin(node.url);
      // Long enough that both questions below give up well before it ends, however
      // loaded the machine; the node's close at the end waits it out.
      await control.call('CLIENT', 'PAUSE', '8000', 'ALL');
      // Without a deadline of its own, the lookup waited out the pause and answered 200.
      const list = await get(`${node.url}/players`, reader.token);
      expect(list.status).toBe(503);
      expect(list.body.message).toBe('who is online on the other nodes cannot be read while Redis does not answer; retry shortly');
      const refused = io(node.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: player.token } });
      try {
        expect(await nextEvent(refused, 'error', () => true, 15_000)).toMatchObject({ code: 'unavailable' });
      } finally {
        refused.close();
      }
    } finally {
      control.disconnect();
      await node.close();
      await stop(redis, 'SIGKILL');
    }
  });
});
