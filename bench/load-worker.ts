import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { io } from 'socket.io-client';
import { cheapParser } from './cheap-parser';
import { Histogram } from './histogram';
import { BroadcastCounter, LeanClient } from './lean-client';
import { ClientAccount, ClientRole, ConnectReport, RunPlan, RunReport, WorkerCommand, WorkerInit, zeroCounts } from './load-protocol';

/**
 * One thread of the load generator: a share of the simulated clients. Players send
 * `position` on an open-loop schedule with an ack and skip decoding broadcasts (lean
 * clients, or socket.io-client with a counting parser); observers decode every
 * `players:moved` and look up when each entry's seq was sent. One timer chain per thread
 * drives all its players; an ack is matched to its send by the ack id (the player's send
 * counter k), whose send time is already in the shared ring: no closure per send.
 */

const init = workerData as WorkerInit;
const nowMs = () => performance.timeOrigin + performance.now();
const sendTimes = new Float64Array(init.sendTimes);
const sendKeys = new Int32Array(init.sendKeys);
const idToIdx = new Map(init.playerIds.map((id, idx) => [id, idx]));
const counter: BroadcastCounter = { frames: 0, chars: 0 };
const parser = cheapParser(counter);

interface MovedEntry {
  id: string;
  seq: number | null;
  t: number;
}

/** What a simulated client needs of its connection, whichever client library is under it. */
interface Wire {
  readonly connected: boolean;
  /** Sends `position` with ack id k; the wire calls acked(client, k, response) when the ack comes. */
  position(k: number, x: number, y: number, heading: number, seq: number): void;
  disconnect(): void;
}

interface SimClient {
  account: ClientAccount;
  role: ClientRole;
  wire: Wire;
  closing: boolean;
  x: number;
  y: number;
  heading: number;
  k: number;
  /** The run of this client's latest send: its acks are counted there. */
  run: RunState | null;
}

/** The counters of one run; late acks of an earlier run land in that run's object, not this one. */
class RunState {
  report: RunReport;
  latency = new Histogram();
  toRecorded = new Histogram();
  fromRecorded = new Histogram();
  ack = new Histogram();
  slip = new Histogram();
  outstanding = 0;
  onDrained: (() => void) | null = null;
  aborted = false;

  constructor(readonly plan: RunPlan) {
    this.report = {
      ...zeroCounts(),
      latency: this.latency,
      toRecorded: this.toRecorded,
      fromRecorded: this.fromRecorded,
      ack: this.ack,
      slip: this.slip,
      loopDelay: { p50: 0, p99: 0, max: 0 },
      threadCpuPct: null,
      broadcastFrames: 0,
      broadcastChars: 0,
      observedFrames: 0,
      staleEntries: 0,
      windowEnd: plan.measureEnd,
      players: 0,
      observers: 0,
    };
  }

  inWindow(at: number): boolean {
    return at >= this.plan.warmupEnd && at < this.report.windowEnd;
  }
}

let clients: SimClient[] = [];
let current: RunState | null = null;
/** Disconnects and error events outside a run still count, in the next report. */
let idleDisconnects: Record<string, number> = {};

function countDisconnect(reason: string): void {
  if (current) {
    current.report.disconnects++;
    current.report.disconnectReasons[reason] = (current.report.disconnectReasons[reason] ?? 0) + 1;
  } else {
    idleDisconnects[reason] = (idleDisconnects[reason] ?? 0) + 1;
  }
}

function newClient(account: ClientAccount, role: ClientRole, wire: Wire): SimClient {
  const span = init.world.spawn;
  return {
    account,
    role,
    wire,
    closing: false,
    x: (Math.random() * 2 - 1) * span,
    y: (Math.random() * 2 - 1) * span,
    heading: Math.random() * 2 * Math.PI,
    k: 0,
    run: null,
  };
}

function countErrorEvent(): void {
  if (current) current.report.errorEvents++;
}

async function connectLean(account: ClientAccount, role: ClientRole): Promise<SimClient> {
  const lean = await LeanClient.connect(init.url, account.token, counter, { decodeBroadcasts: role === 'observer' });
  const client = newClient(account, role, {
    get connected() {
      return lean.connected;
    },
    position: (k, x, y, heading, seq) => lean.send(`42${k}["position",{"x":${x},"y":${y},"z":0,"heading":${heading},"seq":${seq}}]`),
    disconnect: () => lean.disconnect(),
  });
  lean.onAck = (k, args) => acked(client, k, (JSON.parse(args) as unknown[])[0]);
  if (role === 'observer') lean.onMoved = (packet, at) => observe((JSON.parse(packet.slice(2)) as [string, MovedEntry[]])[1], at);
  lean.onDisconnect = (reason) => {
    if (!client.closing) countDisconnect(reason);
  };
  lean.onError = countErrorEvent;
  return client;
}

function connectOne(account: ClientAccount, role: ClientRole): Promise<SimClient> {
  if (init.client === 'lean') return connectLean(account, role);
  const socket = io(init.url, {
    auth: { token: account.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 30_000,
    ...(role === 'observer' ? {} : { parser }),
  });
  const client = newClient(account, role, {
    get connected() {
      return socket.connected;
    },
    position: (k, x, y, heading, seq) => socket.emit('position', { x, y, z: 0, heading, seq }, (response: unknown) => acked(client, k, response)),
    disconnect: () => socket.disconnect(),
  });
  socket.on('disconnect', (reason) => {
    if (!client.closing) countDisconnect(reason);
  });
  socket.on('error', countErrorEvent);
  if (role === 'observer') socket.on('players:moved', (entries: MovedEntry[]) => observe(entries, nowMs()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.closing = true;
      socket.close();
      reject(new Error('no welcome within 30 s'));
    }, 30_000);
    socket.once('welcome', () => {
      clearTimeout(timer);
      resolve(client);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      client.closing = true;
      socket.close();
      reject(error);
    });
  });
}

async function connectAll(accounts: ClientAccount[], role: ClientRole, concurrency: number): Promise<ConnectReport> {
  const report: ConnectReport = { connected: 0, failed: 0, errors: {} };
  let next = 0;
  const lane = async () => {
    while (next < accounts.length) {
      const account = accounts[next++];
      try {
        clients.push(await connectOne(account, role));
        report.connected++;
      } catch (error) {
        report.failed++;
        const message = (error as Error).message ?? String(error);
        report.errors[message] = (report.errors[message] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return report;
}

function observe(entries: MovedEntry[], received: number): void {
  const run = current;
  if (!run) return;
  const counted = run.inWindow(received);
  if (counted) run.report.observedFrames++;
  const { ring } = init;
  for (const entry of entries) {
    const idx = idToIdx.get(entry.id);
    if (idx === undefined || typeof entry.seq !== 'number') continue;
    const k = entry.seq - run.plan.tierBase;
    if (k < 0) continue;
    const slot = idx * ring + (k % ring);
    if (Atomics.load(sendKeys, slot) !== k + 1) {
      run.report.staleEntries++;
      continue;
    }
    if (!counted) continue;
    const sent = sendTimes[slot];
    run.latency.record(received - sent);
    run.toRecorded.record(entry.t - sent);
    run.fromRecorded.record(received - entry.t);
  }
}

/** One step of a random walk inside the world, bouncing off its edges. */
function walk(client: SimClient, rateHz: number): void {
  const { min, max } = init.world;
  const step = 10 / rateHz; // 10 units per second
  client.heading += (Math.random() - 0.5) * 0.6;
  let x = client.x + Math.cos(client.heading) * step;
  let y = client.y + Math.sin(client.heading) * step;
  if (x < min || x > max || y < min || y > max) {
    client.heading += Math.PI;
    x = Math.min(max, Math.max(min, x));
    y = Math.min(max, Math.max(min, y));
  }
  client.x = x;
  client.y = y;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function send(run: RunState, client: SimClient, due: number, now: number): void {
  const { report, plan } = run;
  if (!client.wire.connected) {
    // socket.io-client would buffer it and send on reconnect; there is no reconnect here.
    report.sendWhileDisconnected++;
    return;
  }
  walk(client, plan.rateHz);
  const k = client.k++;
  const seq = plan.tierBase + k;
  const slot = client.account.idx * init.ring + (k % init.ring);
  sendTimes[slot] = now;
  Atomics.store(sendKeys, slot, k + 1);
  report.sentTotal++;
  if (run.inWindow(now)) {
    report.sentInWindow++;
    run.slip.record(now - due);
  }
  run.outstanding++;
  client.run = run;
  const heading = round(((client.heading % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI), 3);
  client.wire.position(k, round(client.x, 2), round(client.y, 2), heading, seq);
}

function acked(client: SimClient, k: number, response: any): void {
  const run = client.run;
  if (!run) return;
  const { report } = run;
  run.outstanding--;
  const at = nowMs();
  if (response?.ok === true) {
    report.ackedTotal++;
    if (response.seq !== run.plan.tierBase + k) report.seqMismatch++;
    if (run.inWindow(at)) {
      report.ackedInWindow++;
      const slot = client.account.idx * init.ring + (k % init.ring);
      if (Atomics.load(sendKeys, slot) === k + 1) run.ack.record(at - sendTimes[slot]);
    }
  } else {
    const code = String(response?.error?.code ?? 'malformed_ack');
    report.rejected[code] = (report.rejected[code] ?? 0) + 1;
  }
  if (run.outstanding === 0) run.onDrained?.();
}

/** CPU time of the calling thread in ns (on a CPU, from the scheduler's accounting). */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** monitorEventLoopDelay's samples include its own interval; the lag is what comes on top. */
const LOOP_RESOLUTION_MS = 10;

function run(plan: RunPlan): Promise<RunReport> {
  const state = new RunState(plan);
  current = state;
  for (const [reason, n] of Object.entries(idleDisconnects)) {
    state.report.disconnects += n;
    state.report.disconnectReasons[reason] = n;
  }
  idleDisconnects = {};
  const players = clients.filter((c) => c.role === 'player');
  state.report.players = players.length;
  state.report.observers = clients.filter((c) => c.role === 'observer').length;
  const order = players.map((client, i) => ({ client, phase: plan.phases[i] ?? 0 })).sort((a, b) => a.phase - b.phase);
  const period = 1000 / plan.rateHz;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let cpuAtStart = NaN;
  let windowStartedAt = NaN;
  let windowStarted = false;
  let framesAtStart = 0;
  let charsAtStart = 0;

  const windowStart = setTimeout(() => {
    windowStarted = true;
    loop.enable();
    cpuAtStart = threadCpuNs();
    windowStartedAt = nowMs();
    framesAtStart = counter.frames;
    charsAtStart = counter.chars;
  }, Math.max(0, plan.warmupEnd - nowMs()));

  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(windowStart);
      clearTimeout(windowEndTimer);
      if (state.aborted) state.report.windowEnd = Math.max(plan.warmupEnd, Math.min(plan.measureEnd, nowMs()));
      loop.disable();
      const lag = (ns: number) => (loop.count ? Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) : 0);
      state.report.loopDelay = { p50: lag(loop.percentile(50)), p99: lag(loop.percentile(99)), max: lag(loop.max) };
      if (windowStarted) {
        const wallMs = nowMs() - windowStartedAt;
        state.report.threadCpuPct = wallMs > 0 ? Math.round(((threadCpuNs() - cpuAtStart) / 1e6 / wallMs) * 1000) / 10 : null;
      }
      if (windowStarted) {
        state.report.broadcastFrames = counter.frames - framesAtStart;
        state.report.broadcastChars = counter.chars - charsAtStart;
      }
      const report = () => {
        state.onDrained = null;
        state.report.unacked = state.outstanding;
        if (current === state) current = null;
        resolve(state.report);
      };
      if (state.outstanding === 0) return report();
      const timer = setTimeout(report, plan.drainMs);
      state.onDrained = () => {
        clearTimeout(timer);
        report();
      };
    };
    const windowEndTimer = setTimeout(finish, Math.max(0, plan.measureEnd - nowMs()) + (players.length ? 1000 : 0));
    abortRun = () => {
      state.aborted = true;
      finish();
    };
    if (order.length === 0) return;

    let cursor = 0;
    let lap = 0;
    const step = () => {
      if (finished) return;
      const now = nowMs();
      for (let burst = 0; burst < 1000; burst++) {
        const due = plan.startAt + order[cursor].phase + lap * period;
        if (due >= plan.measureEnd) {
          finish();
          return;
        }
        if (due > now) {
          setTimeout(step, Math.max(0, due - nowMs()));
          return;
        }
        send(state, order[cursor].client, due, now);
        if (++cursor === order.length) {
          cursor = 0;
          lap++;
        }
      }
      setImmediate(step); // let acks and frames in between long catch-up bursts
    };
    setTimeout(step, Math.max(0, plan.startAt - nowMs()));
  });
}

let abortRun: (() => void) | null = null;

async function disconnectAll(): Promise<number> {
  const closing = clients;
  clients = [];
  for (const client of closing) {
    client.closing = true;
    client.wire.disconnect();
  }
  return closing.length;
}

parentPort!.on('message', async (message: { id: number } & WorkerCommand) => {
  try {
    let result: unknown;
    switch (message.cmd) {
      case 'connect':
        result = await connectAll(message.clients, message.role, message.concurrency);
        break;
      case 'run':
        result = await run(message.plan);
        break;
      case 'abort':
        abortRun?.();
        result = true;
        break;
      case 'disconnect':
        result = await disconnectAll();
        break;
    }
    parentPort!.postMessage({ id: message.id, result });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: String((error as Error)?.stack ?? error) });
  }
});
