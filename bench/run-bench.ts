import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { io, Socket } from 'socket.io-client';
import { registerPlayers, syntheticAccounts } from './accounts';
import { Percentiles } from './histogram';
import { LoadGenerator, RunSummary } from './load-generator';
import { ClientAccount, LoopDelay } from './load-protocol';
import { cpuPercent, cpuTicks, localPortsTo, machineTicks, pidsByName, processTree, round1, schedNs, tcpSockets, treeRssBytes, waitPercent } from './proc-stats';
import { AllocationSummary, CpuProfile, formatHeapSummary, formatProfileSummary, HeapProfile, ProfileSummary, summarizeHeapProfile, summarizeProfile } from './profile-summary';
import { productionNodeFlags } from '../test/support/production-start';
import { formatBudgetTable, formatTable } from './report';
import { scrapeMetrics, StageBudget, stageBudget } from './server-metrics';
import { ProbeMemory, ServerProcess, ServerSpec } from './server-process';

/**
 * The live load benchmark: the same tiers of players x Hz against Waypoint and
 * against a plain Socket.IO server (the ceiling), alternated tier by tier in one run,
 * each tier on a freshly started child process. Every tier says who was the limit: the
 * generator's threads (CPU, event-loop lag) beside the server's CPU, RSS and PostgreSQL's
 * CPU. `node dist-bench/bench/run-bench.js --help` for the flags.
 */

/** Past these the generator, not the server, may be what was measured: the tier does not count. */
export const GENERATOR_LIMITS = { threadCpuPct: 85, loopLagP99Ms: 20, processCpuPctPerCore: 85, sentOfTarget: 0.97 };

const USAGE = `usage: node dist-bench/bench/run-bench.js [PLAYERSxHZ ...] [flags]

  PLAYERSxHZ          tiers, e.g. 200x20 400x20 (default 200x20 400x20 800x20)
  --warmup S          seconds of sending before the measured window (default 10)
  --measure S         measured window in seconds (default 20)
  --drain S           max seconds to wait for outstanding acks after a tier (default 10)
  --servers LIST      ceiling,waypoint (default both, alternated in this order, each tier on a fresh server)
  --out FILE          JSON results (default bench-results/load-<time>.json)
  --workers N         player threads of the generator (default 2; +1 thread for observers)
  --observers N       clients that decode every broadcast and measure latency (default 5)
  --client KIND       players' client: lean (bare WebSocket speaking Engine.IO/Socket.IO, default)
                      or socket.io (socket.io-client with a parser that skips broadcasts)
  --idle N            also measure server memory per idle connection with N clients
  --slow S            also run the slow-client probe for S seconds (one client stops reading)
  --slow-players N    players moving during the slow-client probe (default 200)
  --slow-hz N         their rate (default 20)
  --slow-clients K    clients that stop reading (default 1)
  --profile TIER      CPU-profile each server during that tier's measured window
  --heap-profile TIER sample each server's allocations during that tier's measured window
  --server-env K=V    extra env for Waypoint (repeatable), e.g. AREA_OF_INTEREST_CELL_SIZE=1000
  --node-arg ARG      extra node flag for both servers (repeatable), e.g. --cpu-prof
  --waypoint-build DIR  the Waypoint build to run (default: dist/ of this checkout, from npm run build),
                      e.g. a copy built from another commit for an A/B of two builds
  --database-url URL  (default postgresql://postgres@127.0.0.1:5432/test)
  --schema NAME       dropped and recreated at the start (default bench_load)
  --keep-schema       do not drop the schema at the end
  --port-waypoint N   (default 5601)      --port-ceiling N   (default 5602)
  --spawn UNITS       players start uniformly inside +-UNITS (default: the whole world)
  --max-rss-mb N      stop feeding a tier when the server's RSS passes this (default 2048)
  --settle S          pause after connecting and after disconnecting (default 3)
  --repeat N          run the list of tiers N times, interleaved; report each tier's median run (of two, the worse)

A tier holds when p99 <= 100 ms with no errors, no disconnects and every send acked (and,
for Waypoint, persisted); a tier where the generator was the limit (a worker thread over
${GENERATOR_LIMITS.threadCpuPct} % of a core, event-loop lag p99 over ${GENERATOR_LIMITS.loopLagP99Ms} ms, the whole generator over
${GENERATOR_LIMITS.processCpuPctPerCore} % of its cores, or under ${GENERATOR_LIMITS.sentOfTarget * 100} % of the target rate sent) is marked
generator-limited and does not count.`;

interface Tier {
  label: string;
  players: number;
  hz: number;
}

interface Options {
  tiers: Tier[];
  warmupS: number;
  measureS: number;
  drainS: number;
  servers: ('waypoint' | 'ceiling')[];
  out: string;
  workers: number;
  observers: number;
  client: 'lean' | 'socket.io';
  idle: number;
  slowS: number;
  slowPlayers: number;
  slowHz: number;
  slowClients: number;
  profile: string | null;
  heapProfile: string | null;
  serverEnv: Record<string, string>;
  nodeArgs: string[];
  waypointBuild: string;
  databaseUrl: string;
  schema: string;
  keepSchema: boolean;
  portWaypoint: number;
  portCeiling: number;
  spawn: number | null;
  maxRssMb: number;
  settleS: number;
  repeat: number;
}

function parseArgs(argv: string[]): Options {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const options: Options = {
    tiers: [],
    warmupS: 10,
    measureS: 20,
    drainS: 10,
    servers: ['ceiling', 'waypoint'],
    out: `bench-results/load-${stamp}.json`,
    workers: 2,
    observers: 5,
    client: 'lean',
    idle: 0,
    slowS: 0,
    slowPlayers: 200,
    slowHz: 20,
    slowClients: 1,
    profile: null,
    heapProfile: null,
    serverEnv: {},
    nodeArgs: [],
    waypointBuild: join(__dirname, '..', '..', 'dist'),
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
    schema: 'bench_load',
    keepSchema: false,
    portWaypoint: 5601,
    portCeiling: 5602,
    spawn: null,
    maxRssMb: 2048,
    settleS: 3,
    repeat: 1,
  };
  const num = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < 0) fail(`${flag} needs a non-negative number, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    const tier = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(flag);
    if (tier) {
      options.tiers.push({ label: flag, players: Number(tier[1]), hz: Number(tier[2]) });
      continue;
    }
    switch (flag) {
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      case '--warmup': options.warmupS = num(flag, value()); break;
      case '--measure': options.measureS = num(flag, value()); break;
      case '--drain': options.drainS = num(flag, value()); break;
      case '--servers': {
        const list = value().split(',').map((s) => s.trim());
        if (list.some((s) => s !== 'waypoint' && s !== 'ceiling')) fail('--servers takes waypoint and/or ceiling');
        options.servers = list as Options['servers'];
        break;
      }
      case '--out': options.out = value(); break;
      case '--workers': options.workers = Math.max(1, num(flag, value())); break;
      case '--observers': options.observers = num(flag, value()); break;
      case '--client': {
        const kind = value();
        if (kind !== 'lean' && kind !== 'socket.io') fail('--client takes lean or socket.io');
        options.client = kind;
        break;
      }
      case '--idle': options.idle = num(flag, value()); break;
      case '--slow': options.slowS = num(flag, value()); break;
      case '--slow-players': options.slowPlayers = num(flag, value()); break;
      case '--slow-hz': options.slowHz = num(flag, value()); break;
      case '--slow-clients': options.slowClients = Math.max(1, Math.round(num(flag, value()))); break;
      case '--profile': options.profile = value(); break;
      case '--heap-profile': options.heapProfile = value(); break;
      case '--server-env': {
        const [k, v] = value().split(/=(.*)/s, 2);
        if (!k || v === undefined) fail('--server-env takes KEY=VALUE');
        options.serverEnv[k] = v;
        break;
      }
      case '--node-arg': options.nodeArgs.push(value()); break;
      case '--waypoint-build': options.waypointBuild = resolve(value()); break;
      case '--database-url': options.databaseUrl = value(); break;
      case '--schema': options.schema = value(); break;
      case '--keep-schema': options.keepSchema = true; break;
      case '--port-waypoint': options.portWaypoint = num(flag, value()); break;
      case '--port-ceiling': options.portCeiling = num(flag, value()); break;
      case '--spawn': options.spawn = num(flag, value()); break;
      case '--max-rss-mb': options.maxRssMb = num(flag, value()); break;
      case '--settle': options.settleS = num(flag, value()); break;
      case '--repeat': options.repeat = Math.max(1, Math.round(num(flag, value()))); break;
      default:
        fail(`unknown argument ${flag}\n\n${USAGE}`);
    }
  }
  if (options.tiers.length === 0 && !options.idle && !options.slowS) {
    options.tiers = ['200x20', '400x20', '800x20'].map((label) => {
      const [players, hz] = label.split('x').map(Number);
      return { label, players, hz };
    });
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) fail('--schema must be a lower-case SQL identifier');
  return options;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const mb = (bytes: number) => round1(bytes / 1024 / 1024);

export interface TierResult {
  server: string;
  label: string;
  players: number;
  hz: number;
  targetPerS: number;
  windowS: number;
  connect: { connected: number; failed: number; ms: number; errors: Record<string, number> };
  sentPerS: number;
  ackedPerS: number;
  latencyMs: Percentiles;
  ackMs: Percentiles;
  /** The server's own histograms (GET /metrics) over the window; null when it exposes none. */
  budget: StageBudget | null;
  /** send → server time t of the entry (validation, commit, publish). */
  toRecordedMs: Percentiles;
  /** server time t → observer receive (tick wait, fan-out). */
  fromRecordedMs: Percentiles;
  serverCpuPct: number;
  /** Time the server's threads waited for a CPU, % of one core: high = starved by neighbours on a shared machine. */
  serverRunQueueWaitPct: number;
  /** start of the tier, mean and max in the window, and the peak until the server was idle again. */
  serverRssMb: { start: number; mean: number; max: number; peakUntilIdle?: number };
  serverLoopDelayMs: LoopDelay | null;
  postgres: { backendsCpuPct: number; backends: number; allCpuPct: number } | null;
  /** All cores of the machine, in % of one core (2 cores = 200). */
  machineCpuPct: number;
  persisted: { events: number; sent: number; acked: number; ratio: number } | null;
  errors: {
    total: number;
    rejected: Record<string, number>;
    unacked: number;
    errorEvents: number;
    seqMismatch: number;
    sendWhileDisconnected: number;
  };
  disconnects: number;
  disconnectReasons: Record<string, number>;
  generator: {
    /** The whole generator process, % of one core. */
    cpuPct: number;
    runQueueWaitPct: number;
    /** Each worker thread (players…, observers last), % of one core. */
    workerCpuPct: (number | null)[];
    /** Each worker thread's event-loop lag p99, ms. */
    workerLagP99Ms: number[];
    slipMs: Percentiles;
    playerLoopDelayP99Ms: number;
    observerLoopDelayP99Ms: number;
    /** The generator was the limit: the tier does not count. */
    limited: boolean;
    why: string[];
    jitter: string[];
  };
  broadcast: { framesPerSPerPlayer: number; mbPerS: number; observedFramesPerS: number; staleEntries: number };
  serverLogLines: number;
  /** How long the server stayed busy after the clients left (its backlog). */
  quiesceMs?: number;
  aborted: string | null;
  /** p99 <= 100 ms, every sent position acked (and, for Waypoint, persisted), no errors, no disconnects. */
  holds: boolean;
  /** holds, and the generator was not the limit. */
  counts: boolean;
  vsCeiling?: { ackedPerS: number | null; p99: number | null; serverCpuPct: number | null };
  /** With --repeat: this is the median run by p99; the spread of all runs. */
  repeats?: { p99: (number | null)[]; ackedPerS: number[]; serverCpuPct: number[]; holds: boolean[] };
  profile?: { file: string; summary: ProfileSummary };
  heapProfile?: { file: string; summary: AllocationSummary; kbPerPosition: number };
}

interface IdleResult {
  clients: number;
  failed: number;
  connectMs: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssAfterDisconnectMb: number;
  kbPerConnection: number;
  heapKbPerConnection: number;
  externalKbPerConnection: number;
}

interface SlowSample {
  t: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** Kernel send queue of the server's socket to the slow client, and its TCP state. */
  serverSendQueueKb: number | null;
  serverSocketState: string | null;
  clientRecvQueueKb: number | null;
  /** Slow clients whose server-side socket is still ESTABLISHED. */
  slowConnected: number;
}

interface SlowResult {
  players: number;
  hz: number;
  slowClients: number;
  seconds: number;
  pausedAtS: number;
  rssBeforePauseMb: number;
  rssPeakMb: number;
  rssPeakAtS: number;
  rssEndMb: number;
  /** Node's Buffer memory: where bytes queued for a socket live (RSS is blurred by the heap's own churn). */
  arrayBuffersBeforePauseMb: number;
  arrayBuffersPeakMb: number;
  arrayBuffersPeakAtS: number;
  /** After the probe, all clients gone, forced GC: is the memory given back? */
  heapAfterGcMb: number | null;
  arrayBuffersAfterGcMb: number | null;
  /** Linear fit of RSS while the slow client was paused and still connected. */
  growthMbPerMin: number | null;
  /** When the server's socket to the slow client stopped being ESTABLISHED (the server gave up on it). */
  droppedAtS: number | null;
  framesBeforePause: number;
  acked: number;
  sent: number;
  samples: SlowSample[];
}

interface ServerContext {
  name: 'waypoint' | 'ceiling';
  server: ServerProcess;
  generator: LoadGenerator;
  players: ClientAccount[];
  observers: ClientAccount[];
  pg: Client | null;
  options: Options;
  outBase: string;
  nextTierNo: number;
}

async function serverBackendPids(ctx: ServerContext): Promise<number[]> {
  if (!ctx.pg) return [];
  const port = Number(new URL(ctx.options.databaseUrl).port || 5432);
  const ports = localPortsTo(ctx.server.pid, port);
  if (ports.length === 0) return [];
  const { rows } = await ctx.pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports]);
  return rows.map((r) => r.pid);
}

async function maxGlobalPosition(ctx: ServerContext): Promise<string> {
  const { rows } = await ctx.pg!.query<{ max: string }>(`SELECT coalesce(max(global_position), 0)::text AS max FROM "${ctx.options.schema}".events`);
  return rows[0].max;
}

async function countPersisted(ctx: ServerContext, after: string, tierBase: number): Promise<number> {
  const { rows } = await ctx.pg!.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM "${ctx.options.schema}".events
     WHERE global_position > $1::bigint AND type = 'PlayerMoved'
       AND (data->>'seq')::bigint >= $2::bigint AND (data->>'seq')::bigint < $3::bigint`,
    [after, tierBase, tierBase + 1e9],
  );
  return Number(rows[0].n);
}

interface CpuSnapshot {
  at: number;
  server: Map<number, number>;
  pgBackends: Map<number, number>;
  pgAll: Map<number, number>;
  self: Map<number, number>;
  machine: { busy: number; total: number };
  serverSched: ReturnType<typeof schedNs>;
  selfSched: ReturnType<typeof schedNs>;
}

function snapshot(ctx: ServerContext, pgBackends: number[], pgAll: number[]): CpuSnapshot {
  return {
    at: Date.now(),
    server: cpuTicks(processTree(ctx.server.pid)),
    pgBackends: cpuTicks(pgBackends),
    pgAll: cpuTicks(pgAll),
    self: cpuTicks([process.pid]),
    machine: machineTicks(),
    serverSched: schedNs([ctx.server.pid]),
    selfSched: schedNs([process.pid]),
  };
}

/** Waits until the server is idle (under 15% of a core for a second), at most 120 s: a backlog must not spill into the next tier. */
async function quiesce(ctx: ServerContext): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 120_000 && ctx.server.alive) {
    const before = cpuTicks(processTree(ctx.server.pid));
    await sleep(1000);
    if (cpuPercent(before, cpuTicks(processTree(ctx.server.pid)), 1) < 15) break;
  }
  return Date.now() - started;
}

async function runTier(ctx: ServerContext, tier: Tier): Promise<TierResult> {
  const { options, server, generator } = ctx;
  const tierNo = ctx.nextTierNo++;
  const tierBase = tierNo * 1e9;
  if (tier.players > ctx.players.length) throw new Error(`tier ${tier.label} needs ${tier.players} players; ${ctx.players.length} registered`);
  const logBefore = server.logLines;
  process.stdout.write(`[${ctx.name} ${tier.label}] connecting ${tier.players} players + ${ctx.observers.length} observers… `);
  const connect = await generator.connect(ctx.players.slice(0, tier.players), ctx.observers);
  process.stdout.write(`${connect.connected} in ${(connect.ms / 1000).toFixed(1)} s${connect.failed ? `, ${connect.failed} failed` : ''}; running… `);
  await sleep(options.settleS * 1000);

  const positionBefore = ctx.pg ? await maxGlobalPosition(ctx) : null;
  const pgBackends = await serverBackendPids(ctx);
  const pgAll = ctx.pg ? pidsByName('postgres') : [];
  const startAt = Date.now() + 1000;
  const warmupEnd = startAt + options.warmupS * 1000;
  const measureEnd = warmupEnd + options.measureS * 1000;
  const running = generator.run({ rateHz: tier.hz, tierBase, startAt, warmupEnd, measureEnd, drainMs: options.drainS * 1000 }, tier.players);
  let runError: unknown = null;
  running.catch((error) => (runError = error));

  const rssStart = treeRssBytes(server.pid);
  const rss: number[] = [];
  let rssPeak = rssStart;
  let aborted: string | null = null;
  let guarding = true;
  // Through the window, the drain and the quiesce: a server that runs away is stopped being fed.
  const guard = (async () => {
    while (guarding) {
      if (!server.alive || treeRssBytes(server.pid) > options.maxRssMb * 1024 * 1024) {
        if (!aborted) {
          aborted = server.alive ? `server RSS passed --max-rss-mb ${options.maxRssMb}` : server.death!;
          await generator.abort().catch(() => undefined);
        }
        if (!server.alive) return;
      }
      const bytes = treeRssBytes(server.pid);
      rssPeak = Math.max(rssPeak, bytes);
      if (Date.now() >= warmupEnd && Date.now() < measureEnd) rss.push(bytes);
      await sleep(500);
    }
  })();
  const sleepUnlessAborted = async (until: number) => {
    while (Date.now() < until && !aborted && !runError) await sleep(Math.min(200, until - Date.now()));
  };

  await sleepUnlessAborted(warmupEnd);
  const profiling = options.profile === tier.label;
  const heapProfiling = options.heapProfile === tier.label;
  const metricsBefore = await scrapeMetrics(server.url);
  const before = snapshot(ctx, pgBackends, pgAll);
  await server.loopReset().catch(() => undefined);
  if (profiling) await server.profileStart().catch(() => undefined);
  if (heapProfiling) await server.heapStart().catch(() => undefined);
  await sleepUnlessAborted(measureEnd);
  const after = snapshot(ctx, pgBackends, pgAll);
  const metricsAfter = metricsBefore ? await scrapeMetrics(server.url) : null;
  const budget = metricsBefore && metricsAfter ? stageBudget(metricsBefore, metricsAfter) : null;
  const serverLoop = await server.loopDelay().catch(() => null);
  let profile: TierResult['profile'];
  if (profiling) {
    const file = `${ctx.outBase}.${ctx.name}-${tier.label}.cpuprofile`;
    if (await server.profileStop(file).catch(() => null)) {
      profile = { file, summary: summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 30) };
    }
  }
  let heapFile: string | null = null;
  if (heapProfiling) {
    heapFile = await server.heapStop(`${ctx.outBase}.${ctx.name}-${tier.label}.heapprofile`).catch(() => null);
  }
  const run = await running;
  const windowS = (Math.min(after.at, run.windowEnd) - warmupEnd) / 1000;
  const seconds = (after.at - before.at) / 1000;

  await generator.disconnect();
  const quiesceMs = await quiesce(ctx);
  guarding = false;
  await guard;
  let persisted: TierResult['persisted'] = null;
  if (ctx.pg && positionBefore !== null) {
    const events = await countPersisted(ctx, positionBefore, tierBase);
    persisted = { events, sent: run.sentTotal, acked: run.ackedTotal, ratio: run.sentTotal ? Math.round((events / run.sentTotal) * 10000) / 10000 : 0 };
  }
  await sleep(options.settleS * 1000);

  const result = tierResult(ctx, tier, run, { connect, windowS, seconds, before, after, rss, rssStart, serverLoop, persisted, aborted, logLines: server.logLines - logBefore, pgBackends, budget });
  result.quiesceMs = quiesceMs;
  result.serverRssMb.peakUntilIdle = mb(rssPeak);
  if (profile) result.profile = profile;
  if (heapFile) {
    const summary = summarizeHeapProfile(JSON.parse(readFileSync(heapFile, 'utf8')) as HeapProfile, 30);
    const positions = Math.max(1, result.sentPerS * result.windowS);
    result.heapProfile = { file: heapFile, summary, kbPerPosition: round1((summary.totalMb * 1024) / positions) };
  }
  console.log(
    `sent ${result.sentPerS}/s acked ${result.ackedPerS}/s p99 ${result.latencyMs.p99} ms cpu ${result.serverCpuPct}%` +
      ` generator ${result.generator.cpuPct}% (workers ${result.generator.workerCpuPct.join(' / ')}%, lag p99 ${result.generator.workerLagP99Ms.join(' / ')} ms)` +
      (result.budget ? '' : ' [no stage histograms at /metrics]') +
      (result.generator.limited ? ` [GENERATOR-LIMITED: ${result.generator.why.join('; ')}]` : '') +
      (result.generator.jitter.length ? ` [generator jitter: ${result.generator.jitter.join('; ')}]` : '') +
      (aborted ? ` ABORTED: ${aborted}` : ''),
  );
  return result;
}

function tierResult(
  ctx: ServerContext,
  tier: Tier,
  run: RunSummary,
  m: {
    connect: TierResult['connect'];
    windowS: number;
    seconds: number;
    before: CpuSnapshot;
    after: CpuSnapshot;
    rss: number[];
    rssStart: number;
    serverLoop: LoopDelay | null;
    persisted: TierResult['persisted'];
    aborted: string | null;
    logLines: number;
    pgBackends: number[];
    budget: StageBudget | null;
  },
): TierResult {
  const per = (n: number) => Math.round(n / Math.max(0.001, m.windowS));
  const targetPerS = tier.players * tier.hz;
  const sentPerS = per(run.sentInWindow);
  const slip = run.slip.summary();
  const playerLoops = run.loopDelay.slice(0, -1);
  const observerLoop = run.loopDelay[run.loopDelay.length - 1];
  const playerLoopP99 = round1(Math.max(0, ...playerLoops.map((l) => l.p99)));
  const observerLoopP99 = round1(observerLoop?.p99 ?? 0);
  const workerCpuPct = run.threadCpuPct.map((v) => (v === null ? null : round1(v)));
  const workerLagP99Ms = run.loopDelay.map((l) => round1(l.p99));
  const generatorCpuPct = cpuPercent(m.before.self, m.after.self, m.seconds);
  // Limited: the generator could not produce the load or measure it, so the tier says
  // nothing about the server. Jitter: it did, but sends left late in bursts.
  const why: string[] = [];
  const jitter: string[] = [];
  const limits = GENERATOR_LIMITS;
  if (sentPerS < limits.sentOfTarget * targetPerS) why.push(`sent ${Math.round((sentPerS / targetPerS) * 100)}% of the target rate`);
  workerCpuPct.forEach((cpu, i) => {
    if (cpu !== null && cpu > limits.threadCpuPct) why.push(`worker ${i} at ${cpu}% of a core`);
  });
  workerLagP99Ms.forEach((lag, i) => {
    if (lag > limits.loopLagP99Ms) why.push(`worker ${i} event-loop lag p99 ${lag} ms`);
  });
  const cores = Math.min(cpus().length, run.loopDelay.length + 1);
  if (generatorCpuPct > limits.processCpuPctPerCore * cores) why.push(`generator at ${generatorCpuPct}% of its ${cores} cores`);
  if ((slip.p99 ?? 0) > 100) why.push(`send slip p99 ${slip.p99} ms`);
  else if ((slip.p99 ?? 0) > 10) jitter.push(`send slip p99 ${slip.p99} ms`);
  const rejected = Object.values(run.rejected).reduce((a, b) => a + b, 0);
  const errorsTotal = rejected + run.unacked + run.errorEvents + run.seqMismatch + run.sendWhileDisconnected;
  const latencyMs = run.latency.summary();
  const machineTotal = m.after.machine.total - m.before.machine.total;
  const result: TierResult = {
    server: ctx.name,
    label: tier.label,
    players: tier.players,
    hz: tier.hz,
    targetPerS,
    windowS: round1(m.windowS),
    connect: m.connect,
    sentPerS,
    ackedPerS: per(run.ackedInWindow),
    latencyMs,
    ackMs: run.ack.summary(),
    budget: m.budget,
    toRecordedMs: run.toRecorded.summary(),
    fromRecordedMs: run.fromRecorded.summary(),
    serverCpuPct: cpuPercent(m.before.server, m.after.server, m.seconds),
    serverRunQueueWaitPct: waitPercent(m.before.serverSched, m.after.serverSched, m.seconds),
    serverRssMb: {
      start: mb(m.rssStart),
      mean: mb(m.rss.reduce((a, b) => a + b, 0) / Math.max(1, m.rss.length)),
      max: mb(Math.max(0, ...m.rss)),
    },
    serverLoopDelayMs: m.serverLoop && { p50: round1(m.serverLoop.p50), p99: round1(m.serverLoop.p99), max: round1(m.serverLoop.max) },
    postgres: ctx.pg
      ? {
          backendsCpuPct: cpuPercent(m.before.pgBackends, m.after.pgBackends, m.seconds),
          backends: m.pgBackends.length,
          allCpuPct: cpuPercent(m.before.pgAll, m.after.pgAll, m.seconds),
        }
      : null,
    machineCpuPct: round1(((m.after.machine.busy - m.before.machine.busy) / Math.max(1, machineTotal)) * cpus().length * 100),
    persisted: m.persisted,
    errors: {
      total: errorsTotal,
      rejected: run.rejected,
      unacked: run.unacked,
      errorEvents: run.errorEvents,
      seqMismatch: run.seqMismatch,
      sendWhileDisconnected: run.sendWhileDisconnected,
    },
    disconnects: run.disconnects,
    disconnectReasons: run.disconnectReasons,
    generator: {
      cpuPct: generatorCpuPct,
      runQueueWaitPct: waitPercent(m.before.selfSched, m.after.selfSched, m.seconds),
      workerCpuPct,
      workerLagP99Ms,
      slipMs: slip,
      playerLoopDelayP99Ms: playerLoopP99,
      observerLoopDelayP99Ms: observerLoopP99,
      limited: why.length > 0,
      why,
      jitter,
    },
    broadcast: {
      framesPerSPerPlayer: round1(run.broadcastFrames / Math.max(1, run.players) / Math.max(0.001, m.windowS)),
      mbPerS: round1(run.broadcastChars / 1024 / 1024 / Math.max(0.001, m.windowS)),
      observedFramesPerS: round1(run.observedFrames / Math.max(1, run.observers) / Math.max(0.001, m.windowS)),
      staleEntries: run.staleEntries,
    },
    serverLogLines: m.logLines,
    aborted: m.aborted,
    holds: false,
    counts: false,
  };
  result.holds =
    !m.aborted &&
    latencyMs.p99 !== null &&
    latencyMs.p99 <= 100 &&
    errorsTotal === 0 &&
    run.disconnects === 0 &&
    m.connect.failed === 0 &&
    run.ackedTotal === run.sentTotal &&
    (m.persisted === null || m.persisted.events === m.persisted.sent);
  result.counts = result.holds && !result.generator.limited;
  return result;
}

async function measureIdle(ctx: ServerContext, count: number): Promise<IdleResult> {
  const { server, generator } = ctx;
  if (count > ctx.players.length) throw new Error(`--idle ${count} needs that many registered players`);
  process.stdout.write(`[${ctx.name} idle] ${count} idle connections… `);
  const accounts = ctx.players.slice(0, count);
  // One connect/disconnect cycle first: the heap and the allocator have then already grown
  // once for N sockets, so the measured delta is what the connections hold, not warm-up.
  await generator.connect(accounts, [], 'idle');
  await generator.disconnect();
  await sleep(3000);
  const settled = async () => {
    await server.memory(true);
    await sleep(2000);
    return { memory: await server.memory(true), rss: treeRssBytes(server.pid) };
  };
  const before = await settled();
  const connect = await generator.connect(accounts, [], 'idle');
  await sleep(5000);
  const after = await settled();
  await generator.disconnect();
  await sleep(3000);
  const released = await settled();
  const n = Math.max(1, connect.connected);
  const kb = (bytes: number) => round1(bytes / 1024 / n);
  const result: IdleResult = {
    clients: connect.connected,
    failed: connect.failed,
    connectMs: connect.ms,
    rssBeforeMb: mb(before.rss),
    rssAfterMb: mb(after.rss),
    rssAfterDisconnectMb: mb(released.rss),
    kbPerConnection: kb(after.rss - before.rss),
    heapKbPerConnection: kb(after.memory.heapUsed - before.memory.heapUsed),
    externalKbPerConnection: kb(after.memory.external - before.memory.external),
  };
  console.log(`${result.kbPerConnection} KB RSS, ${result.heapKbPerConnection} KB heap per connection`);
  return result;
}

function connectRawClient(url: string, account: ClientAccount): Promise<Socket> {
  const socket = io(url, { auth: { token: account.token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('slow client: no welcome within 30 s')), 30_000);
    socket.once('welcome', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The net.Socket under socket.io-client → engine.io-client → ws. */
function tcpOf(socket: Socket): import('node:net').Socket {
  return (socket.io.engine.transport as unknown as { ws: { _socket: import('node:net').Socket } }).ws._socket;
}

async function slowClientProbe(ctx: ServerContext, players: number, hz: number, seconds: number, pauseAfterS: number, slowAccounts: ClientAccount[]): Promise<SlowResult> {
  const { server, generator, options } = ctx;
  if (players > ctx.players.length || slowAccounts.length === 0) throw new Error('slow-client probe: not enough registered players');
  const k = slowAccounts.length;
  process.stdout.write(`[${ctx.name} slow] ${players}x${hz} for ${seconds} s, ${k} client${k > 1 ? 's stop' : ' stops'} reading after ${pauseAfterS} s… `);
  await generator.connect(ctx.players.slice(0, players), []);
  const slow = await Promise.all(slowAccounts.map((a) => connectRawClient(server.url, a)));
  let frames = 0;
  slow[0].on('players:moved', () => frames++);
  const tcps = slow.map(tcpOf);
  const clientPorts = new Set(tcps.map((t) => t.localPort!));
  const firstPort = tcps[0].localPort!;
  await sleep(options.settleS * 1000);

  const tierNo = ctx.nextTierNo++;
  const startAt = Date.now() + 500;
  const endAt = startAt + seconds * 1000;
  const running = generator.run({ rateHz: hz, tierBase: tierNo * 1e9, startAt, warmupEnd: startAt, measureEnd: endAt, drainMs: options.drainS * 1000 }, players);
  const samples: SlowSample[] = [];
  let pausedAt: number | null = null;
  let framesBeforePause = 0;
  await sleep(startAt - Date.now());
  while (Date.now() < endAt) {
    const t = (Date.now() - startAt) / 1000;
    if (pausedAt === null && t >= pauseAfterS) {
      for (const tcp of tcps) tcp.pause();
      pausedAt = t;
      framesBeforePause = frames;
    }
    const memory: ProbeMemory | null = await server.memory(false).catch(() => null);
    const sockets = tcpSockets();
    const port = ctx.server.spec.port;
    const serverSide = sockets.find((s) => s.localPort === port && s.remotePort === firstPort) ?? null;
    const clientSide = sockets.find((s) => s.localPort === firstPort && s.remotePort === port) ?? null;
    samples.push({
      t: round1(t),
      rssMb: mb(treeRssBytes(server.pid)),
      heapUsedMb: memory ? mb(memory.heapUsed) : 0,
      externalMb: memory ? mb(memory.external) : 0,
      arrayBuffersMb: memory ? mb(memory.arrayBuffers) : 0,
      serverSendQueueKb: serverSide ? round1(serverSide.txQueue / 1024) : null,
      serverSocketState: serverSide?.state ?? null,
      clientRecvQueueKb: clientSide ? round1(clientSide.rxQueue / 1024) : null,
      slowConnected: sockets.filter((s) => s.localPort === port && clientPorts.has(s.remotePort) && s.state === 'ESTABLISHED').length,
    });
    await sleep(1000 - ((Date.now() - startAt) % 1000));
  }
  const run = await running;
  for (const tcp of tcps) tcp.destroy();
  for (const socket of slow) socket.close();
  await generator.disconnect();
  await sleep(options.settleS * 1000);
  const released = await server.memory(true).catch(() => null);

  const pauseT = pausedAt ?? seconds;
  const beforePause = samples.filter((s) => s.t < pauseT);
  const last = <T>(list: T[]) => list[list.length - 1];
  const dropped = samples.find((s) => s.t > pauseT && s.serverSocketState !== 'ESTABLISHED');
  const stalled = samples.filter((s) => s.t >= pauseT && (!dropped || s.t < dropped.t));
  const peak = samples.reduce((a, b) => (b.rssMb > a.rssMb ? b : a), samples[0]);
  const buffersPeak = samples.reduce((a, b) => (b.arrayBuffersMb > a.arrayBuffersMb ? b : a), samples[0]);
  const result: SlowResult = {
    players,
    hz,
    slowClients: k,
    seconds,
    pausedAtS: pauseT,
    rssBeforePauseMb: beforePause.length ? last(beforePause).rssMb : samples[0]?.rssMb ?? 0,
    rssPeakMb: peak?.rssMb ?? 0,
    rssPeakAtS: peak?.t ?? 0,
    rssEndMb: last(samples)?.rssMb ?? 0,
    arrayBuffersBeforePauseMb: beforePause.length ? last(beforePause).arrayBuffersMb : 0,
    arrayBuffersPeakMb: buffersPeak?.arrayBuffersMb ?? 0,
    arrayBuffersPeakAtS: buffersPeak?.t ?? 0,
    heapAfterGcMb: released ? mb(released.heapUsed) : null,
    arrayBuffersAfterGcMb: released ? mb(released.arrayBuffers) : null,
    growthMbPerMin: slope(stalled.map((s) => [s.t, s.rssMb])),
    droppedAtS: dropped?.t ?? null,
    framesBeforePause,
    acked: run.ackedTotal,
    sent: run.sentTotal,
    samples,
  };
  console.log(
    `RSS ${result.rssBeforePauseMb} MB before the pause, peak ${result.rssPeakMb} MB at ${result.rssPeakAtS} s; ` +
      `buffers ${result.arrayBuffersBeforePauseMb} → ${result.arrayBuffersPeakMb} MB at ${result.arrayBuffersPeakAtS} s; ` +
      (result.droppedAtS === null ? 'the slow client was never dropped' : `the server dropped it at ${result.droppedAtS} s`),
  );
  return result;
}

/**
 * The run with the median p99 (a run that measured nothing counts as the worst). With an
 * even number of runs, the worse of the middle two: with --repeat 2 a tier holds only if
 * both runs held, rather than whenever one lucky run did.
 */
function medianRun(runs: TierResult[]): TierResult {
  if (runs.length === 1) return runs[0];
  const p99 = (r: TierResult) => r.latencyMs.p99 ?? Infinity;
  const sorted = [...runs].sort((a, b) => p99(a) - p99(b) || b.ackedPerS - a.ackedPerS);
  const median = { ...sorted[Math.floor(sorted.length / 2)] };
  median.repeats = {
    p99: runs.map((r) => r.latencyMs.p99),
    ackedPerS: runs.map((r) => r.ackedPerS),
    serverCpuPct: runs.map((r) => r.serverCpuPct),
    holds: runs.map((r) => r.holds),
  };
  return median;
}

/** Least-squares slope per minute, or null with fewer than 3 points. */
function slope(points: [number, number][]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? null : round1((num / den) * 60);
}

interface ServerResults {
  env?: Record<string, string>;
  /** Node.js flags the server ran with. */
  nodeArgs?: string[];
  registrationMs?: number;
  tiers: TierResult[];
  /** Every run with --repeat, in the order they ran. */
  allRuns?: TierResult[];
  idle?: IdleResult;
  slowClient?: SlowResult;
  exitCode?: number | null;
  /** Times the server died during a tier and was started again. */
  restarts?: number;
  /** Tiers not run because a smaller one was aborted. */
  skipped?: string[];
  logFile: string;
}

/** One server under test across the run: how to start it, its accounts, its results. */
interface Contender {
  name: 'waypoint' | 'ceiling';
  spec: ServerSpec;
  pg: Client | null;
  /** Registered on the first start (Waypoint) and valid on every later one: same schema, same JWT secret. */
  accounts: ClientAccount[] | null;
  maxPlayers: number;
  observers: number;
  results: ServerResults;
  runs: TierResult[];
  /** The target rate of the smallest aborted tier: larger ones are not run. */
  failedAt: number;
  /** Shared by all of this server's processes, so each tier's seqs (and persisted rows) are its own. */
  nextTierNo: number;
}

async function prepare(name: 'waypoint' | 'ceiling', options: Options, outBase: string): Promise<Contender> {
  const maxPlayers = Math.max(0, options.idle, options.slowS ? options.slowPlayers : 0, ...options.tiers.map((t) => t.players));
  const observers = Math.max(options.observers, options.slowS ? options.slowClients : 0);
  const logFile = `${outBase}.${name}.log`;
  const results: ServerResults = { tiers: [], logFile };
  // Both servers: the per-address limit on logins would refuse a whole generator on one address.
  const common = { HOST: '127.0.0.1', AUTH_THROTTLE_PER_ADDRESS: '0' };
  let pg: Client | null = null;
  let env: Record<string, string>;
  let script: string;
  let port: number;
  if (name === 'waypoint') {
    pg = new Client({ connectionString: options.databaseUrl });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${options.schema}" CASCADE`);
    port = options.portWaypoint;
    // The production build (npm run build), run exactly as start:prod runs it.
    script = join(options.waypointBuild, 'src', 'main.js');
    env = {
      ...common,
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      DATABASE_SCHEMA: options.schema,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'waypoint-bench-')),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      JWT_EXPIRES_IN_SECONDS: '86400',
      LOG_LEVEL: 'warn',
      // Registration of thousands of players, not the password hash, is not what is measured.
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_TIME_COST: '1',
      // Nor the per-player limiter: the tiers stay far below it anyway.
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      ...options.serverEnv,
    };
    results.env = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'JWT_SECRET'));
  } else {
    port = options.portCeiling;
    script = join(__dirname, 'ceiling-server.js');
    env = { ...common, PORT: String(port), BROADCAST_INTERVAL_MS: options.serverEnv.BROADCAST_INTERVAL_MS ?? '50' };
    results.env = env;
  }
  // Both servers run with the production Node.js flags (package.json start:prod), then --node-arg's.
  const nodeArgs = [...productionNodeFlags(), ...options.nodeArgs];
  results.nodeArgs = nodeArgs;
  return { name, spec: { name, script, port, env, nodeArgs, logFile }, pg, accounts: null, maxPlayers, observers, results, runs: [], failedAt: Infinity, nextTierNo: 1 };
}

/** Starts a fresh server process and generator, runs `work` on them, and stops both. */
async function withFreshServer<T>(c: Contender, options: Options, outBase: string, work: (ctx: ServerContext) => Promise<T>): Promise<T> {
  const world = { min: -100_000, max: 100_000 };
  console.log(`\n== ${c.name}: starting ${c.spec.script} on port ${c.spec.port} (node ${c.spec.nodeArgs!.join(' ')})`);
  const server = await ServerProcess.start(c.spec);
  let generator: LoadGenerator | null = null;
  try {
    if (!c.accounts) {
      if (c.name === 'waypoint') {
        const started = Date.now();
        process.stdout.write(`registering ${c.maxPlayers + c.observers} players… `);
        c.accounts = await registerPlayers(server.url, c.maxPlayers + c.observers);
        c.results.registrationMs = Date.now() - started;
        console.log(`${(c.results.registrationMs / 1000).toFixed(1)} s`);
      } else {
        c.accounts = syntheticAccounts(c.maxPlayers + c.observers);
      }
    }
    const accounts = c.accounts;
    generator = LoadGenerator.start({
      url: server.url,
      workers: options.workers,
      playerIds: accounts.map((a) => a.id),
      world: { ...world, spawn: Math.min(options.spawn ?? world.max, world.max) },
      client: options.client,
    });
    const ctx: ServerContext = {
      name: c.name,
      server,
      generator,
      players: accounts.slice(0, c.maxPlayers),
      observers: options.observers === 0 ? [] : accounts.slice(c.maxPlayers, c.maxPlayers + options.observers),
      pg: c.pg,
      options,
      outBase,
      nextTierNo: c.nextTierNo,
    };
    try {
      return await work(ctx);
    } finally {
      c.nextTierNo = ctx.nextTierNo;
    }
  } finally {
    await generator?.close();
    c.results.exitCode = await server.stop();
  }
}

/**
 * All servers, tier by tier in turn (ceiling, Waypoint, ceiling, …), each tier on a fresh
 * process: a backlog, a grown heap or a warm JIT of one tier does not carry into the next,
 * and a slow drift of the shared machine touches both servers alike.
 */
async function benchAll(options: Options, outBase: string, save: (servers: Record<string, ServerResults>) => void): Promise<Record<string, ServerResults>> {
  const contenders: Contender[] = [];
  const servers: Record<string, ServerResults> = {};
  try {
    for (const name of options.servers) {
      const c = await prepare(name, options, outBase);
      contenders.push(c);
      servers[name] = c.results;
    }
    for (let round = 0; round < options.repeat; round++) {
      for (const tier of options.tiers) {
        for (const c of contenders) {
          if (tier.players * tier.hz >= c.failedAt) {
            if (!c.results.skipped?.includes(tier.label)) (c.results.skipped ??= []).push(tier.label);
            continue;
          }
          const result = await withFreshServer(c, options, outBase, (ctx) => runTier(ctx, tier));
          c.runs.push(result);
          // A server that ran out of memory or died will not do better with more load.
          if (result.aborted) c.failedAt = Math.min(c.failedAt, result.targetPerS);
          c.results.tiers = options.tiers.map((t) => c.runs.filter((r) => r.label === t.label)).filter((r) => r.length > 0).map(medianRun);
          if (options.repeat > 1) c.results.allRuns = c.runs;
          save(servers);
        }
      }
    }
    for (const c of contenders) {
      if (c.results.skipped) console.log(`[${c.name}] skipped ${c.results.skipped.join(', ')}: a smaller tier was already aborted`);
      if (options.idle) c.results.idle = await withFreshServer(c, options, outBase, (ctx) => measureIdle(ctx, options.idle));
      if (options.slowS) {
        const slowAccounts = () => c.accounts!.slice(c.maxPlayers, c.maxPlayers + options.slowClients);
        c.results.slowClient = await withFreshServer(c, options, outBase, (ctx) =>
          slowClientProbe(ctx, options.slowPlayers, options.slowHz, options.slowS, Math.min(10, options.slowS / 4), slowAccounts()),
        );
      }
      save(servers);
    }
  } finally {
    for (const c of contenders) {
      if (!c.pg) continue;
      if (!options.keepSchema) await c.pg.query(`DROP SCHEMA IF EXISTS "${options.schema}" CASCADE`).catch(() => undefined);
      await c.pg.end();
    }
  }
  return servers;
}

function machine() {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, cpuModel: model, memoryGb: round1(totalmem() / 1024 ** 3), node: process.version, kernel: release(), loadavgAtStart: loadavg().map(round1) };
}

/** Resolves when nothing listens on 127.0.0.1:port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createNetServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

/**
 * One benchmark at a time per machine: a second run would drop the first one's schema
 * under its running server (PostgreSQL reports it as deadlocks) and fight over the ports.
 */
async function takeMachineLock(options: Options): Promise<() => void> {
  const lock = join(tmpdir(), 'waypoint-load-bench.lock');
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lock, 'utf8'));
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (alive && holder !== process.pid) fail(`another load benchmark (pid ${holder}) is running on this machine; wait for it (lock ${lock})`);
    writeFileSync(lock, String(process.pid));
  }
  const release = () => {
    try {
      if (readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock);
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the servers under test`);
      for (const server of ServerProcess.running) server.child.kill('SIGTERM');
      process.exit(130);
    });
  }
  for (const [name, port] of [
    ['waypoint', options.portWaypoint],
    ['ceiling', options.portCeiling],
  ] as const) {
    if (options.servers.includes(name) && !(await portFree(port))) {
      release();
      fail(`port ${port} for ${name} is in use: is a server from an earlier run still up? (choose another with --port-${name})`);
    }
  }
  return release;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const releaseLock = await takeMachineLock(options);
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  const outBase = out.replace(/\.json$/, '');
  const started = new Date();
  const output: Record<string, unknown> = {
    startedAt: started.toISOString(),
    command: `node ${process.argv.slice(1).join(' ')}`,
    machine: machine(),
    options,
    servers: {} as Record<string, ServerResults>,
  };
  const save = () => writeFileSync(out, JSON.stringify(output, null, 2) + '\n');
  const servers = await benchAll(options, outBase, (partial) => {
    output.servers = partial;
    save();
  });
  output.servers = servers;
  const ceiling = new Map((servers.ceiling?.tiers ?? []).map((t) => [t.label, t]));
  for (const tier of servers.waypoint?.tiers ?? []) {
    const c = ceiling.get(tier.label);
    if (!c) continue;
    const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100);
    tier.vsCeiling = { ackedPerS: ratio(tier.ackedPerS, c.ackedPerS), p99: ratio(tier.latencyMs.p99, c.latencyMs.p99), serverCpuPct: ratio(tier.serverCpuPct, c.serverCpuPct) };
  }
  output.finishedAt = new Date().toISOString();
  save();

  // Tier by tier as they ran: ceiling, Waypoint, ceiling, …
  const all = options.tiers.flatMap((tier) => Object.values(servers).flatMap((s) => s.tiers.filter((t) => t.label === tier.label)));
  console.log('\n' + formatTable(all));
  const budgets = formatBudgetTable(all);
  console.log(budgets ? `\nPer-stage budget (server histograms at /metrics, over each measured window):\n${budgets}` : '\nPer-stage budget: no server exposed the stage histograms at GET /metrics.');
  const largest: Record<string, TierResult | undefined> = {};
  for (const [name, s] of Object.entries(servers)) {
    const best = s.tiers.filter((t) => t.counts).sort((a, b) => b.targetPerS - a.targetPerS)[0];
    largest[name] = best;
    const limited = s.tiers.filter((t) => t.generator.limited).map((t) => t.label);
    console.log(
      `${name}: largest tier holding p99 <= 100 ms with everything acked${name === 'waypoint' ? ' and persisted' : ''}: ${best?.label ?? 'none'}` +
        (limited.length ? ` (generator-limited, not counted: ${limited.join(', ')})` : ''),
    );
    if (s.idle) console.log(`${name}: idle connection ≈ ${s.idle.kbPerConnection} KB RSS (${s.idle.heapKbPerConnection} KB heap) over ${s.idle.clients} clients`);
    if (s.slowClient) {
      const r = s.slowClient;
      console.log(
        `${name}: ${r.slowClients} slow client(s) among ${r.players}x${r.hz}: RSS ${r.rssBeforePauseMb} → peak ${r.rssPeakMb} MB at ${r.rssPeakAtS} s, ` +
          `Buffers ${r.arrayBuffersBeforePauseMb} → ${r.arrayBuffersPeakMb} MB at ${r.arrayBuffersPeakAtS} s, ` +
          (r.droppedAtS === null ? 'never dropped' : `dropped by the server at ${r.droppedAtS} s`) +
          `; after GC: heap ${r.heapAfterGcMb} MB, Buffers ${r.arrayBuffersAfterGcMb} MB`,
      );
    }
    for (const t of s.tiers) if (t.profile) console.log(`\n${name} ${t.label} CPU profile (${t.profile.file}):\n${formatProfileSummary(t.profile.summary)}`);
    for (const t of s.tiers) {
      if (t.heapProfile) {
        console.log(`\n${name} ${t.label} allocations, ≈ ${t.heapProfile.kbPerPosition} KB per position received (${t.heapProfile.file}):\n${formatHeapSummary(t.heapProfile.summary)}`);
      }
    }
  }
  if (servers.waypoint && servers.ceiling) {
    const w = largest.waypoint?.targetPerS ?? 0;
    const c = largest.ceiling?.targetPerS ?? 0;
    output.ratio = c > 0 ? Math.round((w / c) * 100) / 100 : null;
    console.log(`Waypoint / ceiling (largest tiers held, movements per second): ${output.ratio ?? '– (the ceiling held no tier)'}`);
    save();
  }
  console.log(`\nresults: ${out}`);
  releaseLock();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
