import type { HistogramData } from './histogram';

/** Messages between the load generator (runner thread) and its worker threads. */

export interface ClientAccount {
  /** Index of the player in the run's account pool: its row in the shared send-time ring. */
  idx: number;
  id: string;
  token: string;
}

export type ClientRole = 'player' | 'observer' | 'idle';

export interface WorkerInit {
  url: string;
  workerIndex: number;
  /** Float64 send time (ms since the epoch) of seq k of player idx at [idx * ring + k % ring]. */
  sendTimes: SharedArrayBuffer;
  /** Int32 k + 1 of the seq whose time is in the same slot (0 = empty), so stale slots are recognised. */
  sendKeys: SharedArrayBuffer;
  ring: number;
  /** Player ids by pool index, for observers to find a `players:moved` entry's send time. */
  playerIds: string[];
  world: { min: number; max: number; spawn: number };
  /** Players and idle clients: a bare-WebSocket client (`lean`) or socket.io-client with a counting parser. */
  client: 'lean' | 'socket.io';
}

export interface RunPlan {
  rateHz: number;
  /** Send offset in ms inside one period, per player of this worker in connect order. */
  phases: number[];
  /** seq = tierBase + k: each tier has its own seq range, so the database count can tell tiers apart. */
  tierBase: number;
  /** All times are ms since the epoch, shared by every thread. */
  startAt: number;
  warmupEnd: number;
  measureEnd: number;
  drainMs: number;
}

export type WorkerCommand =
  | { cmd: 'connect'; clients: ClientAccount[]; role: ClientRole; concurrency: number }
  | { cmd: 'run'; plan: RunPlan }
  | { cmd: 'abort' }
  | { cmd: 'disconnect' };

export interface ConnectReport {
  connected: number;
  failed: number;
  errors: Record<string, number>;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The counters of a RunReport, all zero: a worker's start and the merge's sum both begin here. */
export function zeroCounts(): Pick<
  RunReport,
  | 'sentTotal' | 'sentInWindow' | 'ackedTotal' | 'ackedInWindow' | 'rejected' | 'unacked' | 'seqMismatch'
  | 'errorEvents' | 'sendWhileDisconnected' | 'disconnects' | 'disconnectReasons'
> {
  return {
    sentTotal: 0,
    sentInWindow: 0,
    ackedTotal: 0,
    ackedInWindow: 0,
    rejected: {},
    unacked: 0,
    seqMismatch: 0,
    errorEvents: 0,
    sendWhileDisconnected: 0,
    disconnects: 0,
    disconnectReasons: {},
  };
}

export interface RunReport {
  sentTotal: number;
  sentInWindow: number;
  ackedTotal: number;
  ackedInWindow: number;
  rejected: Record<string, number>;
  /** Acks still missing when the drain time ran out. */
  unacked: number;
  seqMismatch: number;
  errorEvents: number;
  sendWhileDisconnected: number;
  disconnects: number;
  disconnectReasons: Record<string, number>;
  /** Observers: receive time of a `players:moved` entry − send time of that seq. */
  latency: HistogramData;
  /** Observers: entry's server time t − send time (validate, commit, publish). */
  toRecorded: HistogramData;
  /** Observers: receive time − entry's server time t (tick wait, fan-out, transport). */
  fromRecorded: HistogramData;
  /** Players: ack receive time − send time. */
  ack: HistogramData;
  /** Players: how late each send left against its schedule (generator saturation). */
  slip: HistogramData;
  /** Event-loop lag of this thread in the window (delay beyond the sampling interval), ms. */
  loopDelay: LoopDelay;
  /** CPU of this thread in the window, % of one core. */
  threadCpuPct: number | null;
  /** Cheap clients: broadcast frames received in the window, and their size. */
  broadcastFrames: number;
  broadcastChars: number;
  observedFrames: number;
  /** Entries whose send time was no longer in the ring (or belonged to another tier). */
  staleEntries: number;
  /** End of the measured window: measureEnd, or earlier when the run was aborted. */
  windowEnd: number;
  players: number;
  observers: number;
}

export type WorkerReply = { id: number; result?: unknown; error?: string };
