import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { connect, nextEvent, registerAndLogin, sendPosition } from './support/clients';
import { productionNodeFlags } from './support/production-start';
import { freePort, startRedis, stop } from './support/processes';
import { dropSchema, freshSchema, itOnPostgres } from './support/test-server';

/**
 * The real start command (`node FLAGS dist/src/main.js` as package.json's start:prod
 * has it, built by `npm test`) in a child process: flags, start-up failures, the
 * embedded default and durability across a crash.
 */
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');
const NODE_FLAGS = productionNodeFlags();

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'log', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_TIME_COST: '1', ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** Runs main.js to completion (for start-up failures): exit code and everything it printed. */
function runToExit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, ...args], { env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const CLI = join(__dirname, '..', 'dist', 'src', 'cli.js');

/** Runs one CLI command to completion: its exit code, and its two output streams apart. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function start(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, ...args], { env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /Waypoint listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

/** The schemas the server processes of this suite were given, dropped at its end. */
const schemasOfThisSuite: string[] = [];
function schemaOfThisSuite(): string {
  const schema = freshSchema();
  schemasOfThisSuite.push(schema);
  return schema;
}

describe('the server process', () => {
  afterAll(async () => {
    if (process.env.DATABASE_URL) await Promise.all(schemasOfThisSuite.map((schema) => dropSchema(process.env.DATABASE_URL!, schema)));
  });

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run the tests with npm test (it builds first)`);
  });

  it('is started by npm start with the same Node.js flags as start:prod, which these tests use', () => {
    const { scripts } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(scripts.start).toBe(`${scripts.build} && ${scripts['start:prod']}`);
    expect(NODE_FLAGS).toEqual(scripts['start:prod'].split(/\s+/).filter((word: string) => word.startsWith('--')));
  });

  it('starts on the embedded database with no DATABASE_URL, generating and keeping a JWT secret', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waypoint-proc-'));
    const server = await start(['--port', '0', '--host', '127.0.0.1'], baseEnv({ DATABASE_URL: undefined, JWT_SECRET: undefined, DATA_DIR: dataDir }));
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.output()).toContain('JWT_SECRET is not set');
      expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);
      expect(existsSync(join(dataDir, 'pgdata'))).toBe(true);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      // Every log line is one JSON object.
      for (const line of server.output().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await stop(server.child);
    }
  });

  it('never loses an acknowledged movement when the process is killed right after the ack', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waypoint-proc-'));
    const env = baseEnv({
      DATA_DIR: dataDir,
      JWT_SECRET: 'a-test-secret-long-enough-to-use',
      ...(process.env.DATABASE_URL ? { DATABASE_SCHEMA: schemaOfThisSuite() } : { DATABASE_URL: undefined }),
    });
    let server = await start(['--port', '0'], env);
    const port = new URL(server.url).port; // the restart listens where the client knows the server
    const { token } = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, token);
    await sendPosition(socket, { x: 1, y: 1, seq: 1 });
    const ack = await sendPosition(socket, { x: 77.5, y: -12.25, z: 3, heading: 1, seq: 2 });
    expect(ack).toEqual({ ok: true, seq: 2 });
    await stop(server.child, 'SIGKILL');
    socket.close();

    server = await start(['--port', port], env);
    try {
      const again = await connect(server.url, token);
      expect(again.welcome.position).toMatchObject({ x: 77.5, y: -12.25, z: 3, heading: 1 });
      again.socket.close();
    } finally {
      await stop(server.child);
    }
  });

  it('records each seq of a resumable session once across a kill -9 mid-stream and the resend after it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waypoint-proc-'));
    const env = baseEnv({
      DATA_DIR: dataDir,
      JWT_SECRET: 'a-test-secret-long-enough-to-use',
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_BURST: '1000',
      ...(process.env.DATABASE_URL ? { DATABASE_SCHEMA: schemaOfThisSuite() } : { DATABASE_URL: undefined }),
    });
    let server = await start(['--port', '0'], env);
    const port = new URL(server.url).port;
    const { token, player } = await registerAndLogin(server.url);
    const auth = { token, clientSession: 'killed-mid-stream' };
    const { socket } = await connect(server.url, token, ['websocket'], { auth });
    // 60 positions without waiting, and the process killed while they are being recorded.
    const acked = new Set<number>();
    for (let seq = 1; seq <= 60; seq++) {
      socket.timeout(5_000).emit('position', { x: seq, y: 1, seq }, (err: unknown, ack: { ok: boolean }) => void (!err && ack.ok && acked.add(seq)));
    }
    await new Promise((r) => setTimeout(r, 30));
    await stop(server.child, 'SIGKILL');
    socket.close();

    server = await start(['--port', port], env);
    try {
      const again = await connect(server.url, token, ['websocket'], { auth });
      const { lastSeq } = again.welcome.resume;
      expect(acked.size).toBeLessThan(60); // the kill came while positions were still in flight
      // Everything acknowledged before the kill is recorded, so lastSeq covers it.
      for (const seq of acked) expect(lastSeq).toBeGreaterThanOrEqual(seq);
      // The client resends everything; what was recorded is a duplicate, the rest is recorded now.
      for (let seq = 1; seq <= 60; seq++) {
        const ack = await sendPosition(again.socket, { x: seq, y: 1, seq });
        expect(ack).toEqual(lastSeq !== null && seq <= lastSeq ? { ok: true, seq, duplicate: true } : { ok: true, seq });
      }
      again.socket.close();
      const history = await fetch(`${server.url}/players/${player.id}/movements?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
      const { items } = await history.json();
      expect(items.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 60 }, (_, k) => k + 1));
    } finally {
      await stop(server.child);
    }
  });

  it('makes an analyst with the CLI while the server runs on the embedded database, and keeps the folder to one server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waypoint-proc-'));
    const env = baseEnv({ DATA_DIR: dataDir, JWT_SECRET: 'a-test-secret-long-enough-to-use', DATABASE_URL: undefined });
    const server = await start(['--port', '0'], env);
    const password = 'password-123';
    let username: string;
    try {
      let player: { username: string; role: string };
      ({ player } = await registerAndLogin(server.url, undefined, password));
      username = player.username;
      expect(player.role).toBe('player');
      // The folder is the server's (PGlite does not lock it: a second process writing it
      // would corrupt it); the command goes through the server's embedded PostgreSQL.
      const granted = await runCli(['grant-role', username, 'analyst'], env);
      expect([granted.code, granted.stderr]).toEqual([0, expect.stringContaining('a server runs on DATA_DIR: using its embedded PostgreSQL')]);
      // Log lines go to standard error; standard output is one JSON object a script can read.
      expect(granted.stdout.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(granted.stdout)).toEqual({ playerId: expect.any(String), username, role: 'analyst', changed: true });
      const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      expect((await login.json()).player).toMatchObject({ username, role: 'analyst' });
      // The server still works after the command closed its connection.
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const second = await runToExit(['--port', '0'], env);
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toMatch(/^The embedded database in .* \(DATA_DIR\) is in use by process \d+ on .*: stop it first/);
    } finally {
      await stop(server.child);
    }
    // Released on a clean stop (a pid file left behind would be taken over as stale, so
    // the command below would pass either way), and the command opens the folder itself.
    expect(existsSync(join(dataDir, 'waypoint.pid'))).toBe(false);
    expect(existsSync(join(dataDir, 'embedded-postgres.json'))).toBe(false);
    const revoked = await runCli(['revoke-role', username, 'analyst'], env);
    expect([revoked.code, revoked.stderr]).toEqual([0, expect.not.stringContaining('a server runs on DATA_DIR')]);
    expect(JSON.parse(revoked.stdout)).toEqual({ playerId: expect.any(String), username, role: 'player', changed: true });
  });

  it('describes its commands on --help, and each one on <command> --help, on standard output', async () => {
    const env = baseEnv({ DATA_DIR: join(tmpdir(), `waypoint-never-made-${process.pid}`) });
    const all = await runCli(['--help'], env);
    expect([all.code, all.stderr]).toEqual([0, '']);
    for (const usage of ['migrate', 'projections:rebuild [--page-size N]', 'grant-role <username> analyst', 'revoke-role <username> analyst']) expect(all.stdout).toContain(`  ${usage} `);
    const one = await runCli(['projections:rebuild', '--help'], env);
    expect([one.code, one.stderr]).toEqual([0, '']);
    expect(one.stdout).toMatch(/^usage: npm run cli -- projections:rebuild \[--page-size N\]\n/);
    expect(one.stdout).toMatch(/--page-size N +events read per page/);
    expect(existsSync(env.DATA_DIR!)).toBe(false);
  });

  it.each([
    [[], /^missing command; one of migrate, projections:rebuild, grant-role, revoke-role/],
    [['rebuild'], /^unknown command "rebuild"/],
    [['projections:rebuild', '--pagesize', '5'], /^projections:rebuild: unknown option --pagesize; usage: npm run cli -- projections:rebuild \[--page-size N\]$/],
    [['projections:rebuild', '--page-size'], /^projections:rebuild: --page-size needs a value; usage:/],
    [['projections:rebuild', '--page-size', '0'], /^projections:rebuild: --page-size must be a positive whole number, not "0"; usage:/],
    [['grant-role', 'ana'], /^grant-role: missing analyst; usage: npm run cli -- grant-role <username> analyst$/],
    [['revoke-role', 'ana', 'analyst', 'now'], /^revoke-role: unexpected argument "now"; usage:/],
  ])('refuses the command line %j in one line on standard error, exit code 2, before opening any database', async (args, message) => {
    const env = baseEnv({ DATA_DIR: join(tmpdir(), `waypoint-never-made-${process.pid}`) });
    const { code, stdout, stderr } = await runCli(args, env);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr.trimEnd()).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(existsSync(env.DATA_DIR!)).toBe(false);
  });

  it('rebuilds the projection with the page size it is given, printing its report alone on standard output', async () => {
    const env = baseEnv({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-proc-')),
      JWT_SECRET: 'a-test-secret-long-enough-to-use',
      ...(process.env.DATABASE_URL ? { DATABASE_SCHEMA: schemaOfThisSuite() } : { DATABASE_URL: undefined }),
    });
    const { code, stdout, stderr } = await runCli(['projections:rebuild', '--page-size', '3'], env);
    expect([code, stderr]).toEqual([0, expect.any(String)]);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({ resumed: false, events: 0 });
  });

  it('says in one line that the port is in use, and exits non-zero', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    try {
      const env = baseEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-proc-')), JWT_SECRET: 'a-test-secret-long-enough-to-use', ...(process.env.DATABASE_URL ? { DATABASE_SCHEMA: schemaOfThisSuite() } : {}) });
      const { code, stderr } = await runToExit(['--port', String(port)], env);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`Port ${port} on 127.0.0.1 is already in use: stop the other server or choose another port with --port or PORT.`);
    } finally {
      blocker.close();
    }
  });

  it('says in one line that the host is unusable, and exits non-zero', async () => {
    const env = baseEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-proc-')), JWT_SECRET: 'a-test-secret-long-enough-to-use', ...(process.env.DATABASE_URL ? { DATABASE_SCHEMA: schemaOfThisSuite() } : {}) });
    // 192.0.2.1 (TEST-NET-1) is never an address of this machine; nothing is sent to it.
    const { code, stderr } = await runToExit(['--host', '192.0.2.1', '--port', '0'], env);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('Cannot listen on 192.0.2.1');
  });

  it.each([
    // (A machine without a name server answers EAI_AGAIN rather than ENOTFOUND.)
    ['the database host does not resolve', { DATABASE_URL: 'postgresql://postgres@nohost.invalid:5432/x' }, /^Cannot reach the database at DATABASE_URL \(getaddrinfo (ENOTFOUND|EAI_AGAIN) nohost\.invalid\)/],
    ['Redis does not answer', { REDIS_URL: 'redis://127.0.0.1:1' }, /^Cannot reach Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\)/],
  ])('says in one line that %s, and exits non-zero', async (_what, extra, message) => {
    const env = baseEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-proc-')), JWT_SECRET: 'a-test-secret-long-enough-to-use', ...extra });
    const { code, stderr } = await runToExit(['--port', '0'], env);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.trim()).toMatch(message);
  });

  // Two nodes need one database: PostgreSQL only.
  itOnPostgres('keeps both nodes up through a Redis outage, and joins them again when Redis is back', async () => {
    const redisPort = await freePort();
    const children: ChildProcess[] = [];
    const sockets: { close(): void }[] = [];
    const env = baseEnv({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-proc-')),
      JWT_SECRET: 'a-test-secret-long-enough-to-use',
      DATABASE_SCHEMA: schemaOfThisSuite(),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    try {
      const redis = await startRedis(redisPort);
      children.push(redis);
      const a = await start(['--port', '0'], env);
      children.push(a.child);
      const b = await start(['--port', '0'], env);
      children.push(b.child);
      const mover = await registerAndLogin(a.url);
      const watcher = await registerAndLogin(b.url);
      const latecomer = await registerAndLogin(b.url);
      expect((await runCli(['grant-role', watcher.player.username, 'analyst'], env)).code).toBe(0);
      const m = await connect(a.url, mover.token);
      const w = await connect(b.url, watcher.token);
      sockets.push(m.socket, w.socket);
      const seenOnB = (seq: number, timeoutMs = 5_000) =>
        nextEvent<{ id: string; seq: number }[]>(w.socket, 'players:moved', (moved) => moved.some((p) => p.id === mover.player.id && p.seq === seq), timeoutMs);
      let seen = seenOnB(1);
      expect(await sendPosition(m.socket, { x: 1, y: 1, seq: 1 })).toEqual({ ok: true, seq: 1 });
      await seen;

      redis.kill('SIGKILL');
      // Long enough for ioredis to give up on the commands it queued (3 retries), which
      // used to end the process: movements are still recorded and acknowledged meanwhile.
      for (let seq = 2; seq <= 8; seq++) {
        expect(await sendPosition(m.socket, { x: seq, y: 1, seq })).toEqual({ ok: true, seq });
        await new Promise((r) => setTimeout(r, 500));
      }
      expect([a.child.exitCode, b.child.exitCode]).toEqual([null, null]);
      // Meanwhile who is online elsewhere cannot be known: the list says so, and a new
      // session (one per player cannot be checked) is refused as unavailable.
      const players = await fetch(`${b.url}/players`, { headers: { authorization: `Bearer ${watcher.token}` } });
      expect(players.status).toBe(503);
      expect((await players.json()).message).toMatch(/while Redis does not answer/);
      const refusedSession = await new Promise((resolve, reject) => {
        const s = io(b.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: latecomer.token } });
        const timer = setTimeout(() => (s.close(), reject(new Error(`no answer to a new session within 15 s:\n${b.output()}`))), 15_000);
        const settle = (outcome: unknown) => (clearTimeout(timer), s.close(), resolve(outcome));
        s.once('error', settle);
        s.once('welcome', () => settle('welcome'));
        s.once('connect_error', (e) => settle(`connect_error: ${e.message}`));
      });
      expect(refusedSession).toEqual({ code: 'unavailable', message: 'the server could not start your session; reconnect shortly' });

      children.push(await startRedis(redisPort));
      // Broadcasts cross between the nodes again once both have reconnected.
      let seq = 9;
      for (const deadline = Date.now() + 20_000; ; seq++) {
        seen = seenOnB(seq, 1_000);
        expect(await sendPosition(m.socket, { x: seq, y: 1, seq })).toEqual({ ok: true, seq });
        if (await seen.then(() => true, () => false)) break;
        if (Date.now() > deadline) throw new Error(`node B heard nothing from node A within 20 s of Redis coming back:\n${a.output()}`);
      }
      // Logged once all of the node's clients are back; the publishing one, which carried
      // the broadcast just seen, may be back before the subscribing one.
      for (const deadline = Date.now() + 10_000; !a.output().includes('Redis is back') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
      expect(a.output()).toContain('Redis is back');
    } finally {
      for (const socket of sockets) socket.close();
      await Promise.all(children.map((child) => stop(child)));
    }
    // ~22 s on an idle machine (three processes started, a 3.5 s outage, ioredis's retry
    // pauses), more on a loaded one: its own budget, above the default 60 s.
  }, 150_000);

  it.each([
    [['--port', 'abc'], {}, 'Setting PORT: "abc" is not a number'],
    [['--bogus', '1'], {}, 'Setting --bogus: unknown flag'],
    [[], { NODE_ENV: 'production', JWT_SECRET: undefined }, 'Setting JWT_SECRET: is required when NODE_ENV=production'],
    [[], { BROADCAST_INTERVAL_MS: '-5' }, 'Setting BROADCAST_INTERVAL_MS: -5 is below the minimum 0'],
  ])('refuses bad settings %j with one line naming the setting', async (args, extra, message) => {
    const { code, stderr } = await runToExit(args, baseEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-proc-')), ...extra }));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
  });
});
