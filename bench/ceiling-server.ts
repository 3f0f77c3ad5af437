import { createServer } from 'node:http';
import { Server, Socket } from 'socket.io';

/**
 * The ceiling for the load benchmark: the wire contract's live subset on plain
 * Socket.IO 4, in memory, with no framework, no validation rules beyond finite
 * numbers, and no database. Whatever Waypoint does on top costs the difference.
 *
 *   PORT=5602 BROADCAST_INTERVAL_MS=50 node dist-bench/bench/ceiling-server.js
 *
 * Auth: any non-empty token is accepted and is the player's id.
 */

interface Entry {
  id: string;
  x: number;
  y: number;
  z: number;
  heading: number;
  seq: number | null;
  t: number;
}

const port = Number(process.env.PORT ?? 5602);
const host = process.env.HOST ?? '127.0.0.1';
const intervalMs = Number(process.env.BROADCAST_INTERVAL_MS ?? 50);

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"error":"Not Found","message":"not found"}');
});
const io = new Server(http, { transports: ['polling', 'websocket'], maxHttpBufferSize: 1_000_000 });

const sessions = new Map<string, Socket>();
const positions = new Map<string, { x: number; y: number; z: number; heading: number; at: string } | null>();
let pending = new Map<string, Entry>();

io.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 128) return next(new Error('unauthorized'));
  socket.data.id = token;
  next();
});

io.on('connection', (socket) => {
  const id: string = socket.data.id;
  const older = sessions.get(id);
  sessions.set(id, socket);
  if (older) {
    older.emit('session:replaced', { reason: 'replaced' });
    older.disconnect(true);
  } else {
    positions.set(id, positions.get(id) ?? null);
  }
  const players = [...sessions.keys()].filter((other) => other !== id).map((other) => ({ id: other, username: other, position: positions.get(other) ?? null }));
  socket.emit('welcome', { self: { id, username: id }, position: positions.get(id) ?? null, players });
  if (!older) socket.broadcast.emit('player:joined', { id, username: id, position: positions.get(id) ?? null });

  socket.on('position', (payload: any, ack?: (response: unknown) => void) => {
    const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    const z = payload?.z ?? 0;
    const heading = payload?.heading ?? 0;
    if (!finite(payload?.x) || !finite(payload?.y) || !finite(z) || !finite(heading)) {
      const error = { code: 'invalid_position', message: 'x and y must be finite numbers' };
      if (typeof ack === 'function') ack({ ok: false, error });
      else socket.emit('error', error);
      return;
    }
    const seq = typeof payload.seq === 'number' ? payload.seq : null;
    const t = Date.now();
    const entry: Entry = { id, x: payload.x, y: payload.y, z, heading, seq, t };
    positions.set(id, { x: entry.x, y: entry.y, z, heading, at: new Date(t).toISOString() });
    if (intervalMs > 0) pending.set(id, entry);
    else io.emit('players:moved', [entry]);
    if (typeof ack === 'function') ack({ ok: true, seq });
  });

  socket.on('disconnect', () => {
    if (sessions.get(id) !== socket) return; // taken over
    sessions.delete(id);
    pending.delete(id);
    io.emit('player:left', { id });
  });
});

if (intervalMs > 0) {
  setInterval(() => {
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    io.emit('players:moved', batch);
  }, intervalMs);
}

http.listen(port, host, () => console.log(JSON.stringify({ level: 'log', message: `ceiling listening on http://${host}:${port}` })));

const stop = () => {
  io.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
