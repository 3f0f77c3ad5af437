import { join } from 'node:path';
import { io, Socket } from 'socket.io-client';
import { registerPlayers } from './accounts';
import { median, parseArgs } from './replay/args';
import { ServerProcess } from './server-process';

/**
 * What one flooding client costs everyone else: `--players` players move at `--hz` with
 * acks, and the ack p99 of their positions is measured with and without one more client
 * sending as fast as its socket takes (far above its rate limit), alternated over
 * `--rounds` rounds on one server, medians reported:
 *
 *   npm run bench:build && node dist-bench/bench/flood-impact.js [--players 20] [--hz 20] [--seconds 10] [--rounds 3]
 *
 * The flooder is cut off by the server (error `flooding`) and reconnects at once, again
 * and again, as a hostile client would.
 */
const OPTIONS = { players: 'number', hz: 'number', seconds: 'number', rounds: 'number', 'database-url': 'string', help: 'boolean' } as const;

interface Round {
  flood: boolean;
  ackP50: number;
  ackP99: number;
  acks: number;
  flooderSent: number;
  cutOffs: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connectAll(url: string, tokens: string[]): Promise<Socket[]> {
  return Promise.all(
    tokens.map(
      (token) =>
        new Promise<Socket>((resolve, reject) => {
          const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
          socket.once('welcome', () => resolve(socket));
          socket.once('connect_error', reject);
        }),
    ),
  );
}

async function round(url: string, players: Socket[], flooderToken: string, hz: number, seconds: number, flood: boolean): Promise<Round> {
  const latencies: number[] = [];
  let stop = false;
  let flooderSent = 0;
  let cutOffs = 0;
  const flooder = (async () => {
    while (flood && !stop) {
      const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: flooderToken } });
      await new Promise<void>((resolve) => {
        socket.once('connect_error', () => resolve());
        socket.on('error', (e: { code?: string }) => void (e?.code === 'flooding' && cutOffs++));
        socket.once('disconnect', () => resolve());
        socket.once('welcome', () => {
          // As fast as the socket takes them: a burst each turn of the event loop.
          const burst = () => {
            if (stop || !socket.connected) return;
            for (let i = 0; i < 200; i++) socket.emit('position', { x: i % 50, y: 1, seq: ++flooderSent }, () => undefined);
            setImmediate(burst);
          };
          burst();
        });
      });
      socket.close();
      await sleep(10);
    }
  })();
  const until = Date.now() + seconds * 1000;
  let seq = 0;
  while (Date.now() < until) {
    const tickStart = Date.now();
    seq++;
    for (const socket of players) {
      const sentAt = performance.now();
      socket.emit('position', { x: seq % 100, y: 2, seq }, (ack: { ok: boolean }) => {
        if (ack.ok) latencies.push(performance.now() - sentAt);
      });
    }
    await sleep(Math.max(0, 1000 / hz - (Date.now() - tickStart)));
  }
  stop = true;
  await sleep(500);
  await flooder;
  latencies.sort((a, b) => a - b);
  return { flood, ackP50: percentile(latencies, 50), ackP99: percentile(latencies, 99), acks: latencies.length, flooderSent, cutOffs };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) return console.log('usage: flood-impact [--players 20] [--hz 20] [--seconds 10] [--rounds 3] [--database-url URL]');
  const playersCount = Number(args.players ?? 20);
  const hz = Number(args.hz ?? 20);
  const seconds = Number(args.seconds ?? 10);
  const rounds = Number(args.rounds ?? 3);
  const server = await ServerProcess.start({
    name: 'waypoint',
    // The production build (npm run build), as start:prod runs it.
    script: join(process.cwd(), 'dist', 'src', 'main.js'),
    port: 5611,
    env: {
      HOST: '127.0.0.1',
      PORT: '5611',
      DATABASE_URL: String(args['database-url'] ?? 'postgresql://postgres@127.0.0.1:5432/test'),
      DATABASE_SCHEMA: 'bench_flood',
      JWT_SECRET: 'flood-impact-secret-0123456789',
      AUTH_THROTTLE_PER_ADDRESS: '0',
      LOG_LEVEL: 'error',
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_TIME_COST: '1',
    },
    logFile: join(process.cwd(), 'bench-results', 'flood-impact.server.log'),
  });
  try {
    const accounts = await registerPlayers(server.url, playersCount + 1);
    const players = await connectAll(server.url, accounts.slice(0, playersCount).map((a) => a.token));
    const results: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const flood of [false, true]) {
        const result = await round(server.url, players, accounts[playersCount].token, hz, seconds, flood);
        console.log(`round ${r + 1} ${flood ? 'with a flooder   ' : 'without a flooder'}: ack p50 ${result.ackP50.toFixed(1)} ms, p99 ${result.ackP99.toFixed(1)} ms over ${result.acks} acks; flooder sent ${result.flooderSent}, cut off ${result.cutOffs}×`);
        results.push(result);
      }
    }
    const p99 = (flood: boolean) => median(results.filter((x) => x.flood === flood).map((x) => x.ackP99));
    console.log(`median ack p99: ${p99(false).toFixed(1)} ms without, ${p99(true).toFixed(1)} ms with a flooder: ${(p99(true) / p99(false)).toFixed(2)}×`);
    for (const socket of players) socket.close();
  } finally {
    await server.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
