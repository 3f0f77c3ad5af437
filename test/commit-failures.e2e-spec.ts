import { connect, LoggedIn, registerAndLogin, sendPosition, streamPositions } from './support/clients';
import { CommitCut, CommitReplyCutter } from './support/commit-reply-cutter';
import { describeOnPostgres, startTestServer, testEnv, TestServer } from './support/test-server';

/**
 * A batch's COMMIT is the moment an acknowledgement is earned. When it fails, or its
 * reply is lost on the way back, the server must still acknowledge exactly what is
 * stored: never a movement that is not (it would be lost), and never refuse one that is
 * (the client would send it again, and it would be stored twice).
 */
const FAST_PLAYERS = { RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SECOND: '1000', APPEND_BATCH_WINDOW_MS: '100' };
const streamOf = (p: LoggedIn) => `movement-${p.player.id}`;

/** The seqs stored in a player's stream, in version order, checking versions run 1..n without a gap. */
async function storedSeqs(server: TestServer, player: LoggedIn): Promise<number[]> {
  const rows: { v: number; seq: number }[] = await server.dataSource.query(
    `SELECT stream_version::int AS v, (data->>'seq')::int AS seq FROM events WHERE stream_id = $1 ORDER BY stream_version`,
    [streamOf(player)],
  );
  expect(rows.map((r) => r.v)).toEqual(rows.map((_, k) => k + 1));
  return rows.map((r) => r.seq);
}

/** streamPositions sends seq 1, 2, 3… in order: the k-th answer is for seq k + 1. */
const seqsWhere = (acks: any[], ok: boolean) => acks.flatMap((a, k) => (a.ok === ok ? [k + 1] : []));

describe('a batch whose COMMIT PostgreSQL refuses', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(FAST_PLAYERS);
  });
  afterAll(() => server.close());

  it('is refused with unavailable, none of it is stored, and the next batches are recorded', async () => {
    const [poisoned, bystander] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
    const clients = await Promise.all([poisoned, bystander].map((p) => connect(server.url, p.token)));
    const schema = server.settings.databaseSchema;
    // A deferred constraint trigger runs at COMMIT: the batch's statement succeeds, and
    // only the COMMIT fails.
    await server.dataSource.query(`
      CREATE FUNCTION ${schema}.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused at commit by the test'; END $$`);
    await server.dataSource.query(`
      CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON ${schema}.events
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
      WHEN (NEW.stream_id = '${streamOf(poisoned)}' AND NEW.data->>'seq' = '5')
      EXECUTE FUNCTION ${schema}.refuse_at_commit()`);
    try {
      const acks = await streamPositions(
        clients.map((c) => c.socket),
        600,
      );
      // Seq 5 and whatever shared its batch, the bystander's movements included, were refused.
      expect(acks[0][4]).toEqual({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('not recorded') } });
      for (const [i, player] of [poisoned, bystander].entries()) {
        const refused = seqsWhere(acks[i], false);
        expect(refused.length).toBeGreaterThan(0);
        expect(refused.length).toBeLessThan(acks[i].length / 2);
        expect(await storedSeqs(server, player)).toEqual(seqsWhere(acks[i], true));
      }
      expect(await sendPosition(clients[0].socket, { x: 1, y: 1, seq: 1_000 })).toEqual({ ok: true, seq: 1_000 });
    } finally {
      await server.dataSource.query(`DROP TRIGGER refuse_at_commit ON ${schema}.events`);
      for (const { socket } of clients) socket.close();
    }
  });
});

/**
 * The connection fails at the COMMIT itself (a relay between the server and PostgreSQL
 * cuts it at that message). PostgreSQL only: the embedded database runs in the server's
 * process, where a reply cannot be lost.
 */
describeOnPostgres('the connection failing at the COMMIT of a batch', () => {
  let cutter: Awaited<ReturnType<typeof CommitReplyCutter.start>>;
  let server: TestServer;
  beforeAll(async () => {
    cutter = await CommitReplyCutter.start(process.env.DATABASE_URL!);
    server = await startTestServer({}, await testEnv({ ...FAST_PLAYERS, DATABASE_URL: cutter.url }));
  });
  afterAll(async () => {
    await server.close();
    await cutter.close();
  });

  /** Streams one player's positions while the relay cuts one append's commit as `cut` says. */
  async function streamThrough(cut: CommitCut): Promise<{ player: LoggedIn; acks: any[]; client: Awaited<ReturnType<typeof connect>> }> {
    const player = await registerAndLogin(server.url);
    const client = await connect(server.url, player.token);
    let didCut = false;
    const armed = new Promise((r) => setTimeout(r, 300)).then(() => cutter.cutNextCommit(cut)).then(() => (didCut = true));
    const [acks] = await streamPositions([client.socket], 1_000);
    // The answers are all in, so the cut (armed a second before they ended) happened or never will.
    await Promise.race([armed, new Promise((r) => setImmediate(r))]);
    expect(didCut).toBe(true);
    return { player, acks, client };
  }

  it('acknowledges, exactly once, a batch PostgreSQL committed though its reply was lost', async () => {
    const { player, acks, client } = await streamThrough('lose-reply');
    try {
      // Every movement is acknowledged, the cut batch's too, and each is stored once.
      expect(seqsWhere(acks, false)).toEqual([]);
      expect(await storedSeqs(server, player)).toEqual(seqsWhere(acks, true));
      expect(await sendPosition(client.socket, { x: 1, y: 1, seq: 5_000 })).toEqual({ ok: true, seq: 5_000 });
    } finally {
      client.socket.close();
    }
  });

  it('refuses, and stores none of, a batch whose COMMIT never reached PostgreSQL', async () => {
    const { player, acks, client } = await streamThrough('lose-commit');
    try {
      const refused = seqsWhere(acks, false);
      expect(refused.length).toBeGreaterThan(0);
      for (const seq of refused) expect(acks[seq - 1]).toEqual({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('not recorded') } });
      expect(await storedSeqs(server, player)).toEqual(seqsWhere(acks, true));
      expect(await sendPosition(client.socket, { x: 1, y: 1, seq: 5_000 })).toEqual({ ok: true, seq: 5_000 });
    } finally {
      client.socket.close();
    }
  });
});
