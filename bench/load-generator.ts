import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Histogram } from './histogram';
import {
  ClientAccount,
  ClientRole,
  ConnectReport,
  LoopDelay,
  RunPlan,
  RunReport,
  WorkerCommand,
  WorkerInit,
  WorkerReply,
  zeroCounts,
} from './load-protocol';

class WorkerHandle {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  /** Players this worker connected for the current tier, in order (phases follow it). */
  players: number[] = [];

  constructor(readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.waiting.get(reply.id);
      if (!pending) return;
      this.waiting.delete(reply.id);
      if (reply.error) pending.reject(new Error(reply.error));
      else pending.resolve(reply.result);
    });
    worker.on('error', (error) => {
      for (const pending of this.waiting.values()) pending.reject(error);
      this.waiting.clear();
    });
  }

  request<T>(command: WorkerCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...command });
    });
  }
}

export interface GeneratorOptions {
  url: string;
  /** Threads driving players; one more thread runs the observers. */
  workers: number;
  playerIds: string[];
  world: WorkerInit['world'];
  client: WorkerInit['client'];
  /** Sends remembered per player for latency lookups (at 20 Hz, 1024 = 51 s). */
  ring?: number;
}

export interface ConnectSummary extends ConnectReport {
  ms: number;
}

/** The merged report of all workers, with the histograms ready to summarise. */
export interface RunSummary extends Omit<RunReport, 'latency' | 'toRecorded' | 'fromRecorded' | 'ack' | 'slip' | 'loopDelay' | 'threadCpuPct'> {
  latency: Histogram;
  toRecorded: Histogram;
  fromRecorded: Histogram;
  ack: Histogram;
  slip: Histogram;
  /** Per worker; the last one is the observers' thread. */
  loopDelay: LoopDelay[];
  /** CPU of each worker thread, % of one core, in the same order. */
  threadCpuPct: (number | null)[];
}

/**
 * Drives simulated clients from worker threads. Players are dealt round-robin to the
 * player workers, and their send phases are spread evenly over one period across all
 * of them, so the server sees a steady stream rather than synchronised bursts.
 */
export class LoadGenerator {
  private readonly sendKeys: Int32Array;

  private constructor(
    private readonly playerWorkers: WorkerHandle[],
    private readonly observerWorker: WorkerHandle,
    sendKeys: SharedArrayBuffer,
  ) {
    this.sendKeys = new Int32Array(sendKeys);
  }

  static start(options: GeneratorOptions): LoadGenerator {
    const ring = options.ring ?? 1024;
    const slots = options.playerIds.length * ring;
    const sendTimes = new SharedArrayBuffer(slots * Float64Array.BYTES_PER_ELEMENT);
    const sendKeys = new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT);
    const spawn = (workerIndex: number) => {
      const init: WorkerInit = {
        url: options.url,
        workerIndex,
        sendTimes,
        sendKeys,
        ring,
        playerIds: options.playerIds,
        world: options.world,
        client: options.client,
      };
      return new WorkerHandle(new Worker(join(__dirname, 'load-worker.js'), { workerData: init }));
    };
    const players = Array.from({ length: Math.max(1, options.workers) }, (_, i) => spawn(i));
    return new LoadGenerator(players, spawn(players.length), sendKeys);
  }

  /** Connects players (dealt over the player workers) and observers; resolves when all have their `welcome`. */
  async connect(players: ClientAccount[], observers: ClientAccount[] = [], role: ClientRole = 'player', concurrency = 32): Promise<ConnectSummary> {
    const started = Date.now();
    const shares = this.playerWorkers.map(() => [] as ClientAccount[]);
    const positions = this.playerWorkers.map(() => [] as number[]);
    players.forEach((account, j) => {
      shares[j % shares.length].push(account);
      positions[j % shares.length].push(j);
    });
    const perWorker = Math.max(1, Math.ceil(concurrency / this.playerWorkers.length));
    const reports = await Promise.all([
      ...this.playerWorkers.map((w, i) => {
        if (role === 'player') w.players = positions[i];
        return w.request<ConnectReport>({ cmd: 'connect', clients: shares[i], role, concurrency: perWorker });
      }),
      this.observerWorker.request<ConnectReport>({ cmd: 'connect', clients: observers, role: 'observer', concurrency: 4 }),
    ]);
    const summary: ConnectSummary = { connected: 0, failed: 0, errors: {}, ms: Date.now() - started };
    for (const r of reports) {
      summary.connected += r.connected;
      summary.failed += r.failed;
      for (const [message, n] of Object.entries(r.errors)) summary.errors[message] = (summary.errors[message] ?? 0) + n;
    }
    return summary;
  }

  /** Runs one tier: every connected player sends at rateHz from startAt until measureEnd, then acks drain. */
  async run(plan: Omit<RunPlan, 'phases'>, playerCount: number): Promise<RunSummary> {
    this.sendKeys.fill(0);
    const period = 1000 / plan.rateHz;
    const reports = await Promise.all([
      ...this.playerWorkers.map((w) =>
        w.request<RunReport>({ cmd: 'run', plan: { ...plan, phases: w.players.map((j) => (j / Math.max(1, playerCount)) * period) } }),
      ),
      this.observerWorker.request<RunReport>({ cmd: 'run', plan: { ...plan, phases: [] } }),
    ]);
    return merge(reports);
  }

  async abort(): Promise<void> {
    await Promise.all([...this.playerWorkers, this.observerWorker].map((w) => w.request({ cmd: 'abort' })));
  }

  async disconnect(): Promise<number> {
    const counts = await Promise.all([...this.playerWorkers, this.observerWorker].map((w) => w.request<number>({ cmd: 'disconnect' })));
    for (const w of this.playerWorkers) w.players = [];
    return counts.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.playerWorkers, this.observerWorker].map((w) => w.worker.terminate()));
  }
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

function merge(reports: RunReport[]): RunSummary {
  const summary: RunSummary = {
    ...zeroCounts(),
    latency: new Histogram(),
    toRecorded: new Histogram(),
    fromRecorded: new Histogram(),
    ack: new Histogram(),
    slip: new Histogram(),
    loopDelay: [],
    threadCpuPct: [],
    broadcastFrames: 0,
    broadcastChars: 0,
    observedFrames: 0,
    staleEntries: 0,
    windowEnd: Infinity,
    players: 0,
    observers: 0,
  };
  for (const r of reports) {
    for (const key of [
      'sentTotal',
      'sentInWindow',
      'ackedTotal',
      'ackedInWindow',
      'unacked',
      'seqMismatch',
      'errorEvents',
      'sendWhileDisconnected',
      'disconnects',
      'broadcastFrames',
      'broadcastChars',
      'observedFrames',
      'staleEntries',
      'players',
      'observers',
    ] as const) {
      summary[key] += r[key];
    }
    addCounts(summary.rejected, r.rejected);
    addCounts(summary.disconnectReasons, r.disconnectReasons);
    summary.latency.merge(r.latency);
    summary.toRecorded.merge(r.toRecorded);
    summary.fromRecorded.merge(r.fromRecorded);
    summary.ack.merge(r.ack);
    summary.slip.merge(r.slip);
    summary.loopDelay.push(r.loopDelay);
    summary.threadCpuPct.push(r.threadCpuPct);
    summary.windowEnd = Math.min(summary.windowEnd, r.windowEnd);
  }
  return summary;
}
