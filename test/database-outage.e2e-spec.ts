import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { connect, registerAndLogin } from './support/clients';
import { stop } from './support/processes';
import { TcpRelay } from './support/tcp-relay';
import { describeOnPostgres, dropSchema, freshSchema, startTestServer, testEnv, TestServer } from './support/test-server';

/**
 * A database that stops answering without closing its connections (a host that crashed,
 * a failover, a middlebox that dropped the connections' state): a relay in front of the
 * real PostgreSQL goes silent, keeps what it caught silent for good, and later lets new
 * connections through again. Every database operation of the server is bounded, so
 * every position is answered in bounded time, health says so, and recording comes back
 * by itself.
 */
const BOUNDS = {
  APPEND_TIMEOUT_MS: '1000',
  APPEND_OUTCOME_CHECK_MS: '1500',
  DATABASE_QUERY_TIMEOUT_MS: '1500',
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  HEALTH_DATABASE_TIMEOUT_MS: '500',
  RATE_LIMIT_PER_SECOND: '1000',
  RATE_LIMIT_BURST: '1000',
};
/** The longest a position may wait for its answer: its batch's append, then the settling of its outcome, and slack. */
const ANSWER_BOUND_MS = 1000 + 1500 + 1500 + 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pgTarget = () => {
  const url = new URL(process.env.DATABASE_URL!);
  return { host: url.hostname, port: Number(url.port || 5432) };
};

async function timedHealth(url: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${url}/health`);
  await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - started };
}

describeOnPostgres('a database that goes silent', () => {
  let relay: Awaited<ReturnType<typeof TcpRelay.start>>;
  let server: TestServer;
  let direct: Client;

  beforeAll(async () => {
    relay = await TcpRelay.start(pgTarget());
    const env = await testEnv({ ...BOUNDS, DATABASE_URL: TcpRelay.urlThrough(process.env.DATABASE_URL!, relay.port) });
    server = await startTestServer({}, env);
    direct = new Client({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${server.settings.databaseSchema}` });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    await server?.close();
    await relay?.close();
  });

  it('answers every position within its bound, says 503 at once, and records again by itself once it answers', async () => {
    const player = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, player.token);
    try {
      const answers: Promise<{ seq: number; ack: any; ms: number }>[] = [];
      const healthDuringOutage: { status: number; ms: number }[] = [];
      const started = Date.now();
      let seq = 0;
      let silenced = false;
      while (Date.now() - started < 5_000) {
        const elapsed = Date.now() - started;
        if (elapsed >= 1_000 && !silenced) {
          relay.silence();
          silenced = true;
        }
        if (elapsed >= 3_500 && relay.isSilent) relay.heal();
        if (elapsed >= 2_500 && healthDuringOutage.length === 0) healthDuringOutage.push(await timedHealth(server.url));
        const mine = ++seq;
        const sentAt = Date.now();
        answers.push(
          socket
            .timeout(ANSWER_BOUND_MS + 5_000)
            .emitWithAck('position', { x: mine % 50, y: 1, seq: mine })
            .then(
              (ack) => ({ seq: mine, ack, ms: Date.now() - sentAt }),
              () => ({ seq: mine, ack: 'no answer', ms: Date.now() - sentAt }),
            ),
        );
        await sleep(20);
      }
      const all = await Promise.all(answers);
      expect(relay.caught).toBeGreaterThan(0);

      // Every position got an answer, within the bound: ok after commit, or unavailable.
      expect(all.filter((a) => a.ack === 'no answer')).toEqual([]);
      expect(Math.max(...all.map((a) => a.ms))).toBeLessThanOrEqual(ANSWER_BOUND_MS);
      for (const { ack } of all) {
        if (!ack.ok) expect(ack.error.code).toBe('unavailable');
      }
      const refused = all.filter((a) => !a.ack.ok);
      expect(refused.length).toBeGreaterThan(0);

      // Health answered within a second, and said the database is out.
      expect(healthDuringOutage[0].status).toBe(503);
      expect(healthDuringOutage[0].ms).toBeLessThan(1_000);

      // Recording resumes by itself within seconds of the database answering again.
      let resumed: any = null;
      const giveUpAt = Date.now() + 10_000;
      while (Date.now() < giveUpAt) {
        resumed = await socket.timeout(ANSWER_BOUND_MS + 1_000).emitWithAck('position', { x: 1, y: 1, seq: ++seq });
        if (resumed.ok) break;
        await sleep(200);
      }
      expect(resumed).toEqual({ ok: true, seq });
      expect((await timedHealth(server.url)).status).toBe(200);

      // What was acknowledged is stored, once; nothing stored was refused as not recorded
      // (a refusal that says "may be stored" left its fate open).
      const { rows } = await direct.query(`SELECT (data->>'seq')::int AS seq FROM events WHERE stream_id = $1 ORDER BY stream_version`, [
        `movement-${player.player.id}`,
      ]);
      const stored: number[] = rows.map((r) => r.seq);
      expect(new Set(stored).size).toBe(stored.length);
      const acked = [...all.filter((a) => a.ack.ok).map((a) => a.seq), seq];
      for (const s of acked) expect(stored).toContain(s);
      const mayBeStored = new Set(all.filter((a) => !a.ack.ok && /may be stored/.test(a.ack.error.message)).map((a) => a.seq));
      for (const s of stored) expect(acked.includes(s) || mayBeStored.has(s)).toBe(true);
    } finally {
      socket.close();
    }
  }, 60_000);
});

describeOnPostgres('stopping while the database is silent (SHUTDOWN_TIMEOUT_MS)', () => {
  it('exits within its bound instead of waiting on the database for ever', async () => {
    const relay = await TcpRelay.start(pgTarget());
    const schema = freshSchema();
    const main = join(__dirname, '..', 'dist', 'src', 'main.js');
    const env = {
      ...process.env,
      ...BOUNDS,
      DATABASE_URL: TcpRelay.urlThrough(process.env.DATABASE_URL!, relay.port),
      DATABASE_SCHEMA: schema,
      PORT: '0',
      JWT_SECRET: 'a-test-secret-long-enough-0123456789',
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_TIME_COST: '1',
      SHUTDOWN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'log',
    };
    const child = spawn(process.execPath, [main], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
        child.stdout.on('data', () => {
          const m = /listening on (http:\/\/[^"\s]+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const player = await registerAndLogin(url);
      const { socket } = await connect(url, player.token);
      relay.silence();
      // Positions queued and in flight when the stop comes, and a database that never answers.
      for (let seq = 1; seq <= 20; seq++) socket.emit('position', { x: seq, y: 1, seq });
      await sleep(200);
      const stopping = Date.now();
      await stop(child, 'SIGTERM');
      expect(Date.now() - stopping).toBeLessThan(3_000 + 2_000);
      socket.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      relay.heal();
      await relay.close();
      await dropSchema(process.env.DATABASE_URL!, schema);
    }
  }, 90_000);
});
