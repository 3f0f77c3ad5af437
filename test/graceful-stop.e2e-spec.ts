import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { io } from 'socket.io-client';
import { connect, nextEvent, registerAndLogin } from './support/clients';
import { productionNodeFlags } from './support/production-start';
import { stop } from './support/processes';
import { loadSettings } from '../src/config/settings';
import { connectDatabase } from '../src/database/database-connection';
import { GracefulStop } from '../src/world/graceful-stop/graceful-stop';
import { countEvents, dropSchema, startTestServer, testEnv } from './support/test-server';

/**
 * SIGTERM to a real server process (dist/src/main.js, as start:prod runs it) while
 * clients stream positions at 20 Hz with acks: nothing taken is lost, every client is
 * told why before it is disconnected, and the process exits 0 in bounded time.
 */
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');
const CLIENTS = 4;
const HZ = 20;
const SHUTDOWN_TIMEOUT_MS = 10_000;

interface Sent {
  seq: number;
  sentAt: number;
  answer?: { ok: boolean; error?: { code: string } };
  answeredAt?: number;
  /** The ack never came: the connection closed first. */
  lost?: true;
}

interface Streamer {
  index: number;
  socket: Socket;
  sent: Sent[];
  shutdownAt: number | null;
  shutdown: unknown;
  disconnectReason: Promise<string>;
  done: Promise<void>;
}

/** Sends a position every 1000/HZ ms, each with an ack, until the server disconnects the client. */
function stream(index: number, socket: Socket): Streamer {
  const streamer: Streamer = { index, socket, sent: [], shutdownAt: null, shutdown: null, disconnectReason: null!, done: null! };
  socket.on('server:shutdown', (payload) => {
    streamer.shutdownAt = Date.now();
    streamer.shutdown = payload;
  });
  streamer.disconnectReason = new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  const answers: Promise<void>[] = [];
  streamer.done = new Promise((resolve) => {
    let seq = 0;
    const timer = setInterval(() => {
      if (!socket.connected) {
        clearInterval(timer);
        void Promise.all(answers).then(() => resolve());
        return;
      }
      const sent: Sent = { seq: ++seq, sentAt: Date.now() };
      streamer.sent.push(sent);
      answers.push(
        socket
          .timeout(SHUTDOWN_TIMEOUT_MS)
          .emitWithAck('position', { x: seq, y: index, seq })
          .then(
            (answer) => void Object.assign(sent, { answer, answeredAt: Date.now() }),
            () => void (sent.lost = true),
          ),
      );
    }, 1000 / HZ);
  });
  return streamer;
}

function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [...productionNodeFlags(), MAIN], { env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /Waypoint listening on (http:\/\/[^"\s]+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve({ child, url: m[1], output: () => out });
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

describe('a stop (SIGTERM) under load', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    if (process.env.DATABASE_URL) await Promise.all(schemas.map((schema) => dropSchema(process.env.DATABASE_URL!, schema)));
  });

  it('answers every position taken, stores every acknowledged one, tells each client server:shutdown, and exits 0 in bounded time', async () => {
    // A long batch window keeps movements queued at every instant, so the signal finds some.
    const env = await testEnv({ LOG_LEVEL: 'log', LOG_FORMAT: 'json', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), APPEND_BATCH_WINDOW_MS: '250' });
    schemas.push(env.DATABASE_SCHEMA);
    const server = await startServer(env);
    let streamers: Streamer[] = [];
    try {
      const players = await Promise.all(Array.from({ length: CLIENTS }, () => registerAndLogin(server.url)));
      const sockets = await Promise.all(players.map((p) => connect(server.url, p.token)));
      streamers = sockets.map(({ socket }, i) => stream(i, socket));
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      const exited = new Promise<{ code: number | null; at: number }>((resolve) => server.child.once('exit', (code) => resolve({ code, at: Date.now() })));
      const signalAt = Date.now();
      server.child.kill('SIGTERM');
      const { code, at } = await exited;
      await Promise.all(streamers.map((s) => s.done));

      expect({ code, output: code === 0 ? '' : server.output() }).toEqual({ code: 0, output: '' });
      expect(at - signalAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

      // What the database holds, read once the server is gone (the embedded one from its folder).
      const db = await connectDatabase(loadSettings(env));
      let stored: Set<string>;
      try {
        const rows: { data: { y: number; seq: number } }[] = await db.dataSource.query(`SELECT data FROM events WHERE type = 'PlayerMoved'`);
        stored = new Set(rows.map(({ data }) => `${data.y}:${data.seq}`));
      } finally {
        await db.close();
      }

      for (const s of streamers) {
        expect(s.shutdown).toEqual({ reason: 'shutdown' });
        expect(await s.disconnectReason).toBe('io server disconnect');
        const beforeSignal = s.sent.filter((p) => p.sentAt < signalAt);
        expect(beforeSignal.length).toBeGreaterThanOrEqual(HZ); // it streamed for a while before the signal
        // Sent before the signal: answered, ok or unavailable, never left without an answer.
        expect(beforeSignal.filter((p) => !p.answer).map((p) => p.seq)).toEqual([]);
        for (const p of s.sent) {
          if (p.answer?.ok) expect(stored.has(`${s.index}:${p.seq}`)).toBe(true);
          else if (p.answer) {
            expect(p.answer.error?.code).toBe('unavailable');
            expect(stored.has(`${s.index}:${p.seq}`)).toBe(false);
          } else {
            // Sent after the signal, its answer not back: the client had been told.
            expect(s.shutdownAt).not.toBeNull();
          }
        }
      }
      // Some were in flight at the signal: sent before it, answered ok after it.
      expect(streamers.flatMap((s) => s.sent).filter((p) => p.answer?.ok && p.sentAt < signalAt && p.answeredAt! >= signalAt).length).toBeGreaterThan(0);
      const stopping = /"unanswered":(\d+),"message":"stopping: answering the movements taken, then disconnecting clients"/.exec(server.output());
      expect(Number(stopping?.[1])).toBeGreaterThan(0);
    } finally {
      for (const s of streamers) s.socket.close();
      await stop(server.child);
    }
  });

  it('once stopping, refuses new sessions and new positions with unavailable, recording nothing of them', async () => {
    const server = await startTestServer();
    try {
      const [ada, bo] = await Promise.all([registerAndLogin(server.url), registerAndLogin(server.url)]);
      const { socket } = await connect(server.url, ada.token);
      const told = nextEvent(socket, 'server:shutdown');
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const before = await countEvents(server.dataSource, 'PlayerMoved');
      const stopping = server.running.app.get(GracefulStop).stop();
      const [withAck, told0, reason] = await Promise.all([socket.timeout(5_000).emitWithAck('position', { x: 1, y: 2, seq: 1 }), told, gone]);
      expect(withAck).toEqual({ ok: false, error: { code: 'unavailable', message: 'the server is shutting down; reconnect shortly and send it again' } });
      expect([told0, reason]).toEqual([{ reason: 'shutdown' }, 'io server disconnect']);
      await stopping;

      const late = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: bo.token } });
      const refused = await new Promise<Error & { data?: unknown }>((resolve) => {
        late.once('connect_error', resolve);
        late.once('connect', () => resolve(new Error('connected')));
      });
      late.close();
      expect([refused.message, refused.data]).toEqual(['unavailable', { reason: 'shutdown' }]);
      expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
    } finally {
      await server.close();
    }
  });
});
