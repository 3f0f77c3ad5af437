import { Socket } from 'socket.io-client';
import { connect, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { countEvents, itOnPostgres, startTestServer, TestServer, untilDisconnectRecorded } from './support/test-server';

/**
 * Bad input gets its code, leaves the events table as it was, and the connection
 * stays up (docs/protocol.md "Rejected input").
 */
describe('rejected position input', () => {
  let server: TestServer;
  let socket: Socket;

  beforeAll(async () => {
    server = await startTestServer({ WORLD_MIN: '-1000', WORLD_MAX: '1000', RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' });
    const { token } = await registerAndLogin(server.url);
    ({ socket } = await connect(server.url, token));
  });
  afterAll(async () => {
    socket.close();
    await server.close();
  });

  async function expectRejected(payload: unknown, code: string, message: RegExp, seq: number | null = null) {
    const before = await countEvents(server.dataSource, 'PlayerMoved');
    const withAck = await sendPosition(socket, payload);
    expect(withAck).toEqual({ ok: false, error: { code, message: expect.stringMatching(message) } });
    // Without an ack callback the same rejection arrives as an `error` event, with the seq echoed.
    const errorEvent = nextEvent(socket, 'error');
    socket.emit('position', payload);
    expect(await errorEvent).toEqual({ code, message: expect.stringMatching(message), seq });
    expect(socket.connected).toBe(true);
    expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
    // The connection still works for good input.
    await expect(sendPosition(socket, { x: 0, y: 0, seq: 1 })).resolves.toEqual({ ok: true, seq: 1 });
  }

  it.each([
    ['a string (malformed JSON from a client that sent text)', '{"x": 1, "y":', /JSON object/],
    ['a number', 42, /JSON object/],
    ['null', null, /JSON object/],
    ['an array', [1, 2], /JSON object/],
    ['a missing y', { x: 1 }, /y is required/],
    ['a string coordinate', { x: '1', y: 2 }, /x must be a finite number/],
    ['NaN (arrives as null in JSON)', { x: NaN, y: 2 }, /x must be a finite number/],
    ['Infinity (arrives as null in JSON)', { x: 1, y: Infinity }, /y must be a finite number/],
    ['a boolean heading', { x: 1, y: 2, heading: true }, /heading must be a finite number/],
    ['an object z', { x: 1, y: 2, z: { $gt: 0 } }, /z must be a finite number/],
    ['an SQL-ish field', { x: 1, y: 2, "'; DROP TABLE events; --": 1 }, /unknown field/],
    ['an SQL-ish value', { x: "1); DELETE FROM events; --", y: 2 }, /x must be a finite number/],
    ['a negative seq', { x: 1, y: 2, seq: -1 }, /seq must be a non-negative integer/],
    ['a fractional seq', { x: 1, y: 2, seq: 1.5 }, /seq must be a non-negative integer/],
    ['a string seq', { x: 1, y: 2, seq: '7' }, /seq must be a non-negative integer/],
    ['an oversized payload', { x: 1, y: 2, pad: 'x'.repeat(5000) }, /bytes; the limit is 1024/],
  ])('rejects %s as invalid_position', async (_, payload, message) => {
    await expectRejected(payload, 'invalid_position', message);
  });

  it('answers a position sent with extra arguments before its ack, recording nothing', async () => {
    const before = await countEvents(server.dataSource, 'PlayerMoved');
    const answer = await new Promise((resolve) => socket.timeout(5_000).emit('position', { x: 1, y: 1, seq: 3 }, 'extra', (_: unknown, a: unknown) => resolve(a)));
    expect(answer).toEqual({
      ok: false,
      error: { code: 'invalid_position', message: 'position takes one argument, the position object {x, y, z?, heading?, seq?} (then an optional ack); got 2' },
    });
    expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
    await expect(sendPosition(socket, { x: 0, y: 0, seq: 4 })).resolves.toEqual({ ok: true, seq: 4 });
    // A wrapper's `emit('position', pos, maybeAck)` with no ack sends a trailing null: still one argument.
    const recorded = new Promise((resolve) => socket.once('error', resolve));
    socket.emit('position', { x: 0, y: 0, seq: 5 }, undefined);
    await expect(sendPosition(socket, { x: 1, y: 0, seq: 6 })).resolves.toEqual({ ok: true, seq: 6 });
    expect(await Promise.race([recorded, new Promise((r) => setTimeout(() => r('no error'), 100))])).toBe('no error');
    expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before + 3);
  });

  it('rejects coordinates outside the world as out_of_bounds, echoing seq', async () => {
    await expectRejected({ x: 1000.5, y: 0, seq: 9 }, 'out_of_bounds', /x=1000.5 is outside the world/, 9);
    await expectRejected({ x: 0, y: 0, z: -5000, seq: 10 }, 'out_of_bounds', /z=-5000/, 10);
  });

  it('survives a frame above MAX_MESSAGE_BYTES only by the transport closing that connection', async () => {
    // Documented: the transport refuses frames above MAX_MESSAGE_BYTES; nothing is recorded.
    const { token } = await registerAndLogin(server.url);
    const victim = await connect(server.url, token);
    const before = await countEvents(server.dataSource, 'PlayerMoved');
    const closed = nextEvent(victim.socket, 'disconnect');
    victim.socket.emit('position', { x: 1, y: 1, pad: 'x'.repeat(1_100_000) });
    await closed;
    expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
    victim.socket.close();
  });
});

describe('limits that need their own settings', () => {
  it('rate limits a flood per player (token bucket) and recovers', async () => {
    const server = await startTestServer({ RATE_LIMIT_PER_SECOND: '5', RATE_LIMIT_BURST: '10' });
    try {
      const { token, player } = await registerAndLogin(server.url);
      const { socket } = await connect(server.url, token);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => sendPosition(socket, { x: i, y: 0, seq: i })));
      const accepted = answers.filter((a) => a.ok);
      const limited = answers.filter((a) => !a.ok);
      expect(accepted.length).toBeGreaterThanOrEqual(10);
      expect(accepted.length).toBeLessThanOrEqual(12);
      expect(limited[0]).toEqual({ ok: false, error: { code: 'rate_limited', message: expect.stringContaining('5 updates per second') } });
      expect(socket.connected).toBe(true);
      const [{ n }] = await server.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [`movement-${player.id}`]);
      expect(n).toBe(accepted.length);
      await new Promise((r) => setTimeout(r, 450));
      await expect(sendPosition(socket, { x: 1, y: 1, seq: 99 })).resolves.toEqual({ ok: true, seq: 99 });
      socket.close();
    } finally {
      await server.close();
    }
  });

  it('rejects a jump faster than MAX_SPEED as too_fast, also from the stored position after a reconnect', async () => {
    const server = await startTestServer({ MAX_SPEED: '100' });
    try {
      const { token, player } = await registerAndLogin(server.url);
      const first = await connect(server.url, token);
      await expect(sendPosition(first.socket, { x: 0, y: 0, seq: 1 })).resolves.toEqual({ ok: true, seq: 1 });
      const before = await countEvents(server.dataSource, 'PlayerMoved');
      const jump = await sendPosition(first.socket, { x: 5000, y: 0, seq: 2 });
      expect(jump).toEqual({ ok: false, error: { code: 'too_fast', message: expect.stringContaining('the limit is 100 units/s') } });
      expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
      await new Promise((r) => setTimeout(r, 120));
      await expect(sendPosition(first.socket, { x: 5, y: 0, seq: 3 })).resolves.toEqual({ ok: true, seq: 3 });
      first.socket.close();
      await untilDisconnectRecorded(server.dataSource, player.id);

      const second = await connect(server.url, token);
      expect(second.welcome.position).toMatchObject({ x: 5, y: 0 });
      const teleport = await sendPosition(second.socket, { x: 90_000, y: 0, seq: 4 });
      expect(teleport.error?.code).toBe('too_fast');
      second.socket.close();
    } finally {
      await server.close();
    }
  });

  // The embedded database runs in this process and reads this process's clock: the two
  // clocks cannot differ there.
  itOnPostgres('speed-checks the first move after a reconnect by the time since the stored move, whatever this node\'s clock says', async () => {
    const server = await startTestServer({ MAX_SPEED: '100' });
    try {
      const { token, player } = await registerAndLogin(server.url);
      const first = await connect(server.url, token);
      await expect(sendPosition(first.socket, { x: 0, y: 0, seq: 1 })).resolves.toEqual({ ok: true, seq: 1 });
      first.socket.close();
      await untilDisconnectRecorded(server.dataSource, player.id);
      // This node's clock runs a minute ahead of the database's, which stamped the move.
      // Judged by the two clocks together, 5,000 units would seem to take a minute
      // (83 units/s, allowed); in truth they follow the stored move by a fraction of a second.
      const realNow = Date.now.bind(Date);
      const skewed = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 60_000);
      try {
        const second = await connect(server.url, token);
        const jump = await sendPosition(second.socket, { x: 5000, y: 0, seq: 2 });
        expect(jump.error?.code).toBe('too_fast');
        second.socket.close();
      } finally {
        skewed.mockRestore();
      }
    } finally {
      await server.close();
    }
  });

  it('refuses positions with unavailable once APPEND_QUEUE_MAX_EVENTS are waiting, instead of queueing without bound', async () => {
    const server = await startTestServer({ APPEND_QUEUE_MAX_EVENTS: '3', APPEND_BATCH_WINDOW_MS: '300' });
    try {
      const { token, player } = await registerAndLogin(server.url);
      const { socket } = await connect(server.url, token);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => sendPosition(socket, { x: i, y: 0, seq: i })));
      expect(answers.slice(0, 3)).toEqual([0, 1, 2].map((seq) => ({ ok: true, seq })));
      for (const a of answers.slice(3)) {
        expect(a).toEqual({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('busy') } });
      }
      const [{ n }] = await server.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [`movement-${player.id}`]);
      expect(n).toBe(3);
      // Once the batch is recorded there is room again.
      await expect(sendPosition(socket, { x: 9, y: 9, seq: 9 })).resolves.toEqual({ ok: true, seq: 9 });
      socket.close();
    } finally {
      await server.close();
    }
  });
});
