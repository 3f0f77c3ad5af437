import { createServer, Server as HttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { BroadcastCounter, LeanClient } from './lean-client';

/** The hand-written client against a real Socket.IO 4 server over real sockets. */
describe('the lean benchmark client', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;

  beforeAll(async () => {
    http = createServer();
    io = new Server(http, { transports: ['websocket'] });
    io.use((socket, next) => (socket.handshake.auth.token === 'good' ? next() : next(new Error('unauthorized'))));
    io.on('connection', (socket) => {
      socket.emit('welcome', { self: { id: 'p' } });
      socket.on('position', (payload: { seq: number }, ack: (r: unknown) => void) => ack({ ok: true, seq: payload.seq }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    io.close();
    await new Promise((resolve) => http.close(resolve));
  });

  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(condition()).toBe(true);
  };

  it('gets its acks, and counts broadcasts of every frame size without decoding them', async () => {
    const counter: BroadcastCounter = { frames: 0, chars: 0 };
    const client = await LeanClient.connect(url, 'good', counter);
    const acks: [number, string][] = [];
    client.onAck = (id, args) => acks.push([id, args]);
    client.send('427["position",{"x":1,"y":2,"z":0,"heading":0,"seq":41}]');
    // 7-bit, 16-bit and 64-bit WebSocket lengths; the largest spans many reads.
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `p${i}`, x: i, y: i, seq: i, t: 0 }));
    for (const n of [1, 2_000, 20_000]) io.emit('players:moved', entries(n));
    io.emit('player:left', { id: 'x' });
    await until(() => acks.length === 1 && counter.frames === 4);
    expect(acks).toEqual([[7, '[{"ok":true,"seq":41}]']]);
    const sizes = [1, 2_000, 20_000].map((n) => `42${JSON.stringify(['players:moved', entries(n)])}`.length);
    expect(counter.chars).toBe(sizes.reduce((a, b) => a + b) + `42${JSON.stringify(['player:left', { id: 'x' }])}`.length);
    client.disconnect();
  });

  it('hands observers every players:moved whole', async () => {
    const observer = await LeanClient.connect(url, 'good', { frames: 0, chars: 0 }, { decodeBroadcasts: true });
    const packets: string[] = [];
    observer.onMoved = (packet) => packets.push(packet);
    const entries = Array.from({ length: 5_000 }, (_, i) => ({ id: `p${i}`, seq: i }));
    io.emit('players:moved', entries);
    await until(() => packets.length === 1);
    expect(JSON.parse(packets[0].slice(2))).toEqual(['players:moved', entries]);
    observer.disconnect();
  });

  it('rejects with the message of a refused handshake', async () => {
    await expect(LeanClient.connect(url, 'bad', { frames: 0, chars: 0 })).rejects.toThrow('unauthorized');
  });
});
