import { io, Socket } from 'socket.io-client';
import { connect, LoggedIn, registerAndLogin } from './support/clients';
import { TcpRelay } from './support/tcp-relay';
import { describeOnPostgres, startTestServer, testEnv, TestServer } from './support/test-server';

/**
 * Resumable sessions (auth.clientSession): a client that cannot tell whether a position
 * was recorded sends it again, and each seq is recorded at most once, across reconnects,
 * takeovers, restarts and nodes; every acknowledged seq is recorded.
 */
const FAST = { RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const resumable = (url: string, token: string, clientSession: string) => connect(url, token, ['websocket'], { auth: { token, clientSession } });
const send = (socket: Socket, seq: number) => socket.timeout(10_000).emitWithAck('position', { x: seq % 100, y: 2, seq });

/** The seqs of a player's stream in version order, and the client sessions they carry. */
async function stored(server: TestServer, player: LoggedIn): Promise<{ seqs: number[]; sessions: (string | null)[] }> {
  const rows: { seq: number; cs: string | null; v: number }[] = await server.dataSource.query(
    `SELECT (data->>'seq')::int AS seq, data->>'clientSession' AS cs, stream_version::int AS v FROM events WHERE stream_id = $1 ORDER BY stream_version`,
    [`movement-${player.player.id}`],
  );
  expect(rows.map((r) => r.v)).toEqual(rows.map((_, k) => k + 1));
  return { seqs: rows.map((r) => r.seq), sessions: rows.map((r) => r.cs) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('resumable sessions (auth.clientSession)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(FAST);
  });
  afterAll(() => server.close());

  it('refuses a malformed clientSession at the handshake, and leaves welcome.resume out without one', async () => {
    const player = await registerAndLogin(server.url);
    for (const bad of ['', 'has space', 'x'.repeat(65), 42, { a: 1 }, 'semi;colon']) {
      await expect(resumable(server.url, player.token, bad as string)).rejects.toThrow('invalid_client_session');
    }
    const plain = await connect(server.url, player.token);
    expect(plain.welcome.resume).toBeUndefined();
    plain.socket.close();
  });

  it('requires seq on every position of a resumable session', async () => {
    const player = await registerAndLogin(server.url);
    const { socket, welcome } = await resumable(server.url, player.token, 'tab-1');
    try {
      expect(welcome.resume).toEqual({ clientSession: 'tab-1', lastSeq: null });
      const ack = await socket.timeout(5_000).emitWithAck('position', { x: 1, y: 1 });
      expect(ack).toEqual({ ok: false, error: { code: 'invalid_position', message: expect.stringContaining('seq is required') } });
      expect((await stored(server, player)).seqs).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it('tells a reconnecting client its last recorded seq, and records a resend once', async () => {
    const player = await registerAndLogin(server.url);
    const first = await resumable(server.url, player.token, 'page-load-1');
    for (const seq of range(1, 5)) expect(await send(first.socket, seq)).toEqual({ ok: true, seq });
    first.socket.close();

    const again = await resumable(server.url, player.token, 'page-load-1');
    try {
      expect(again.welcome.resume).toEqual({ clientSession: 'page-load-1', lastSeq: 5 });
      const acks = [];
      for (const seq of range(3, 7)) acks.push(await send(again.socket, seq));
      expect(acks).toEqual([
        { ok: true, seq: 3, duplicate: true },
        { ok: true, seq: 4, duplicate: true },
        { ok: true, seq: 5, duplicate: true },
        { ok: true, seq: 6 },
        { ok: true, seq: 7 },
      ]);
      const { seqs, sessions } = await stored(server, player);
      expect(seqs).toEqual(range(1, 7));
      expect(new Set(sessions)).toEqual(new Set(['page-load-1']));
    } finally {
      again.socket.close();
    }
    // Another client session of the same player starts from nothing.
    const other = await resumable(server.url, player.token, 'page-load-2');
    expect(other.welcome.resume).toEqual({ clientSession: 'page-load-2', lastSeq: null });
    expect(await send(other.socket, 1)).toEqual({ ok: true, seq: 1 });
    other.socket.close();
  });

  it('records each seq once when a takeover resends what the old connection still has in flight', async () => {
    const player = await registerAndLogin(server.url);
    const old = await resumable(server.url, player.token, 'racing');
    const inFlight = range(1, 40).map((seq) => send(old.socket, seq).catch(() => 'cut'));
    // The new connection takes over at once and resends everything.
    const taking = await resumable(server.url, player.token, 'racing');
    try {
      const acks = await Promise.all(range(1, 40).map((seq) => send(taking.socket, seq)));
      await Promise.all(inFlight);
      for (const [k, ack] of acks.entries()) expect(ack).toMatchObject({ ok: true, seq: k + 1 });
      expect((await stored(server, player)).seqs).toEqual(range(1, 40));
    } finally {
      taking.socket.close();
      old.socket.close();
    }
  });

  it('keeps the last seq across a restart', async () => {
    const player = await registerAndLogin(server.url);
    const before = await resumable(server.url, player.token, 'survives');
    for (const seq of range(1, 3)) expect(await send(before.socket, seq)).toEqual({ ok: true, seq });
    before.socket.close();
    server = await server.restart();
    const after = await resumable(server.url, player.token, 'survives');
    try {
      expect(after.welcome.resume).toEqual({ clientSession: 'survives', lastSeq: 3 });
      expect(await send(after.socket, 2)).toEqual({ ok: true, seq: 2, duplicate: true });
      expect((await stored(server, player)).seqs).toEqual([1, 2, 3]);
    } finally {
      after.socket.close();
    }
  });
});

/** Two nodes on one database, each the writer of its own connection: the store decides. */
describeOnPostgres('resends racing across two nodes', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = await testEnv(FAST);
    a = await startTestServer({}, env);
    b = await startTestServer({}, { ...env, PORT: '0' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('records each seq once when both nodes write the same client session at once', async () => {
    const player = await registerAndLogin(a.url);
    const onA = await resumable(a.url, player.token, 'two-nodes');
    const onB = await resumable(b.url, player.token, 'two-nodes');
    try {
      const seqs = range(1, 60);
      const [acksA, acksB] = await Promise.all(
        [onA.socket, onB.socket].map(async (socket) => {
          const acks = [];
          for (const seq of seqs) {
            acks.push(send(socket, seq));
            await sleep(2);
          }
          return Promise.all(acks);
        }),
      );
      const acked = new Set([...acksA, ...acksB].filter((x) => x.ok).map((x) => x.seq));
      const { seqs: kept } = await stored(a, player);
      // Each seq at most once, every acked one among them.
      expect(new Set(kept).size).toBe(kept.length);
      for (const seq of acked) expect(kept).toContain(seq);
      expect(kept.length).toBeGreaterThan(0);
    } finally {
      onA.socket.close();
      onB.socket.close();
    }
  });
});

/**
 * A client that resends what is not acknowledged, through a network the test cuts at
 * random: each cut closes every connection and keeps new ones silent for 1–2 s.
 */
describe('a resending client through a network cut at random', () => {
  let server: TestServer;
  let relay: Awaited<ReturnType<typeof TcpRelay.start>>;
  beforeAll(async () => {
    server = await startTestServer(FAST);
    relay = await TcpRelay.start({ host: '127.0.0.1', port: server.running.port });
  });
  afterAll(async () => {
    await relay.close();
    await server.close();
  });

  it('records every seq sent exactly once, and the client sees what the store holds', async () => {
    const player = await registerAndLogin(server.url);
    const socket = io(`http://127.0.0.1:${relay.port}`, {
      transports: ['websocket'],
      forceNew: true,
      auth: { token: player.token, clientSession: 'through-cuts' },
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
      timeout: 1_000,
    });
    const unacked = new Map<number, true>();
    const recorded = new Set<number>();
    let lastResume: number | null = null;
    let welcomes = 0;
    // New positions only once the resend after a welcome is out: one sent before it would
    // be recorded ahead of the older ones, which then count as at or below the last seq.
    let resumed = false;
    socket.on('disconnect', () => (resumed = false));
    const sendOne = (seq: number) => {
      socket
        .timeout(1_500)
        .emitWithAck('position', { x: seq % 100, y: 3, seq })
        .then(
          (ack: any) => {
            if (!ack.ok) return;
            unacked.delete(seq);
            recorded.add(seq);
          },
          () => undefined, // no answer: resent after the next welcome
        );
    };
    socket.on('welcome', (welcome: any) => {
      welcomes++;
      lastResume = welcome.resume.lastSeq;
      // Everything unacknowledged goes again, what lastSeq covers included: those are
      // positions recorded whose acks the cut swallowed, and the server must answer them
      // as duplicates rather than record them twice.
      for (const seq of [...unacked.keys()].sort((x, y) => x - y)) sendOne(seq);
      resumed = true;
    });
    try {
      let seq = 0;
      const started = Date.now();
      let nextCut = started + 700 + Math.random() * 800;
      let healAt = 0;
      while (Date.now() - started < 8_000) {
        const now = Date.now();
        if (now >= nextCut && healAt === 0) {
          // The worst moment: a position has reached the server and waits for its batch,
          // so it is recorded while its ack is lost with the link.
          if (resumed) {
            unacked.set(++seq, true);
            sendOne(seq);
            await sleep(15);
          }
          relay.silence();
          relay.cut();
          healAt = now + 1_000 + Math.random() * 1_000;
        }
        if (healAt && now >= healAt) {
          relay.heal();
          healAt = 0;
          nextCut = now + 500 + Math.random() * 1_000;
        }
        unacked.set(++seq, true);
        if (resumed) sendOne(seq);
        await sleep(50); // 20 Hz
      }
      relay.heal();
      // Let the client catch up: everything sent ends acknowledged or known recorded.
      const giveUpAt = Date.now() + 20_000;
      while (unacked.size > 0 && Date.now() < giveUpAt) {
        if (resumed) for (const s of [...unacked.keys()].sort((x, y) => x - y)) sendOne(s);
        await sleep(500);
      }
      expect(unacked.size).toBe(0);
      expect(welcomes).toBeGreaterThanOrEqual(2); // at least one cut and resume
      const { seqs } = await stored(server, player);
      expect(seqs).toEqual(range(1, seq));
      expect(sorted([...recorded])).toEqual(range(1, seq));
    } finally {
      socket.close();
    }
  }, 60_000);
});
