import { Socket } from 'socket.io-client';
import { connect, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { Metrics, scrape } from './support/metrics-text';
import { startTestServer, TestServer } from './support/test-server';

/**
 * GET /metrics over real traffic: a real player sends positions over a real socket,
 * and the counters and histograms move by exactly what was sent.
 */
describe('GET /metrics', () => {
  let server: TestServer;
  let socket: Socket;
  let playerId: string;

  beforeAll(async () => {
    server = await startTestServer({ WORLD_MIN: '-1000', WORLD_MAX: '1000' });
    const { token, player } = await registerAndLogin(server.url);
    playerId = player.id;
    ({ socket } = await connect(server.url, token));
  });
  afterAll(async () => {
    socket?.close();
    await server?.close();
  });

  /** Every counter and histogram this test reads, as one snapshot. */
  function figures(m: Metrics) {
    return {
      accepted: m.value('waypoint_positions_total', { outcome: 'accepted' }),
      outOfBounds: m.value('waypoint_positions_total', { outcome: 'out_of_bounds' }),
      ackCount: m.value('waypoint_position_ack_seconds_count'),
      batchEventsSum: m.value('waypoint_append_batch_events_sum'),
      batches: m.value('waypoint_append_batch_events_count'),
      commits: m.value('waypoint_append_commit_seconds_count'),
      decided: m.value('waypoint_position_stage_seconds_count', { stage: 'decided' }),
      appended: m.value('waypoint_position_stage_seconds_count', { stage: 'appended' }),
      committed: m.value('waypoint_position_stage_seconds_count', { stage: 'committed' }),
      acked: m.value('waypoint_position_stage_seconds_count', { stage: 'acked' }),
    };
  }

  it('counts what a real client sent: 5 accepted, 2 out of bounds, 7 acks, 5 events in batches', async () => {
    const before = figures(await scrape(server.url));
    const broadcasts = nextEvent(socket, 'players:moved');
    for (let seq = 1; seq <= 5; seq++) await expect(sendPosition(socket, { x: seq, y: 1, seq })).resolves.toEqual({ ok: true, seq });
    for (const x of [5000, -5000]) await expect(sendPosition(socket, { x, y: 1 })).resolves.toMatchObject({ ok: false, error: { code: 'out_of_bounds' } });
    await broadcasts;
    // The acked stage is timed once a batch's acks have gone out; the broadcast after its commit.
    await new Promise((r) => setTimeout(r, 100));
    const metrics = await scrape(server.url);
    const after = figures(metrics);

    expect(after.accepted - before.accepted).toBe(5);
    expect(after.outOfBounds - before.outOfBounds).toBe(2);
    expect(after.ackCount - before.ackCount).toBe(7);
    expect(after.batchEventsSum - before.batchEventsSum).toBe(5);
    // Sent one at a time, each waiting for its ack: one batch per movement.
    expect(after.batches - before.batches).toBe(5);
    expect(after.commits - before.commits).toBe(5);
    // Every position is decided, the rejected ones too; the later stages are timed per batch.
    expect(after.decided - before.decided).toBe(7);
    expect(after.appended - before.appended).toBe(5);
    expect(after.committed - before.committed).toBe(5);
    expect(after.acked - before.acked).toBe(5);
    expect(metrics.value('waypoint_broadcast_tick_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metrics.value('waypoint_broadcast_delay_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(metrics.value('waypoint_position_stage_seconds_count', { stage: 'emitted' })).toBe(metrics.value('waypoint_broadcast_delay_seconds_count'));
    // Nothing left waiting once every ack is in.
    expect(metrics.value('waypoint_append_queue_events')).toBe(0);
  });

  it('counts a resend already recorded in a resumable session as duplicate', async () => {
    const { token } = await registerAndLogin(server.url);
    const resumable = await connect(server.url, token, ['websocket'], { auth: { token, clientSession: 'metrics-test' } });
    try {
      const before = await scrape(server.url);
      await expect(sendPosition(resumable.socket, { x: 1, y: 1, seq: 1 })).resolves.toEqual({ ok: true, seq: 1 });
      await expect(sendPosition(resumable.socket, { x: 1, y: 1, seq: 1 })).resolves.toEqual({ ok: true, seq: 1, duplicate: true });
      const after = await scrape(server.url);
      const delta = (outcome: string) => after.value('waypoint_positions_total', { outcome }) - before.value('waypoint_positions_total', { outcome });
      expect([delta('accepted'), delta('duplicate')]).toEqual([1, 1]);
    } finally {
      resumable.socket.close();
    }
    await waitFor(async () => (await scrape(server.url)).value('waypoint_players_online') === 1);
  });

  it('shows the players online on this node, slow clients and exports in flight', async () => {
    const metrics = await scrape(server.url);
    expect(metrics.value('waypoint_players_online')).toBe(1);
    expect(metrics.has('waypoint_slow_clients')).toBe(true);
    expect(metrics.value('waypoint_slow_clients')).toBe(0);
    expect(metrics.has('waypoint_exports_in_flight')).toBe(true);
    // No REDIS_URL: no Redis link to show.
    expect(metrics.has('waypoint_redis_connected')).toBe(false);

    const second = await registerAndLogin(server.url);
    const other = await connect(server.url, second.token);
    expect((await scrape(server.url)).value('waypoint_players_online')).toBe(2);
    other.socket.close();
    await waitFor(async () => (await scrape(server.url)).value('waypoint_players_online') === 1);
  });

  it('times HTTP requests by route template and status, never by raw URL', async () => {
    const { token } = await registerAndLogin(server.url);
    const res = await fetch(`${server.url}/players/${playerId}/position`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    await fetch(`${server.url}/no/such/${playerId}`);
    const metrics = await scrape(server.url);
    expect(metrics.value('waypoint_http_request_duration_seconds_count', { method: 'GET', route: '/players/:id/position', status: '403' })).toBe(1);
    expect(metrics.value('waypoint_http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('waypoint_http_request_duration_seconds_count', { method: 'GET', route: 'other', status: '404' })).toBe(1);
    expect(metrics.text).not.toContain(playerId);
  });

  it('shows the database pool and the default Node.js metrics, without authentication', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const metrics = new Metrics(await res.text());
    expect(metrics.value('waypoint_database_pool_connections', { state: 'max' })).toBeGreaterThanOrEqual(1);
    expect(metrics.has('waypoint_database_pool_connections', { state: 'in_use' })).toBe(true);
    expect(metrics.has('waypoint_database_pool_waiting')).toBe(true);
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_user_seconds_total']) expect([name, metrics.has(name)]).toEqual([name, true]);
  });
});

async function waitFor(condition: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
