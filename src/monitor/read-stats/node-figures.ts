import type { Quantiles } from './histogram-window';

/** Which node answered: the page labels its lines with `id`. */
export interface NodeIdentity {
  /** host:port, unique among the nodes of one world. */
  id: string;
  host: string;
  port: number;
  pid: number;
  startedAt: string;
}

/**
 * One node's figures over its last second or so (`windowSeconds`, null on the first
 * reading, when there is nothing to compare with yet): rates per second and latency
 * quantiles over that window, gauges as they are now, totals since the node started.
 */
export interface NodeFigures {
  node: NodeIdentity;
  at: string;
  windowSeconds: number | null;
  playersOnline: number;
  /** `position` messages answered per second by outcome: accepted, duplicate, or the error code. */
  positionsPerSecond: Record<string, number>;
  /** The refused outcomes of positionsPerSecond (every error code). */
  rejectionsPerSecond: Record<string, number>;
  /** `position` messages answered since the node started, by outcome. */
  positionsTotal: Record<string, number>;
  ackSeconds: Quantiles;
  commitSeconds: Quantiles;
  /** Movements per committed batch, on average over the window. */
  batchEventsMean: number | null;
  broadcastDelaySeconds: Quantiles;
  queueDepth: number;
  slowClients: number;
}

/** GET /monitor/stats: this node first, then every other node that answered. */
export interface MonitorStats {
  nodes: NodeFigures[];
  /** Why some nodes may be missing (a node did not answer in time, Redis away), else null. */
  missing: string | null;
}

export const NOT_REFUSED = new Set(['accepted', 'duplicate']);
