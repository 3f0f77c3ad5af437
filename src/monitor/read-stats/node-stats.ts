import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { hostname } from 'node:os';
import type { MetricObjectWithValues, MetricValueWithName } from 'prom-client';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';
import { Buckets, bucketsBetween, quantiles, ratesBetween } from './histogram-window';
import { NodeFigures, NodeIdentity, NOT_REFUSED } from './node-figures';

/** One metric as prom-client reads it; a histogram's values are named `_bucket`, `_sum` and `_count`. */
type Reading = MetricObjectWithValues<MetricValueWithName<string>>;

/** Cumulative readings of the registry at one instant. */
interface Sample {
  at: number;
  positions: Record<string, number>;
  ack: Buckets;
  commit: Buckets;
  batch: Buckets;
  broadcast: Buckets;
}

/** Rates are taken over at least this long; readings closer together than RESAMPLE_MS are not kept. */
const WINDOW_MS = 1_000;
const RESAMPLE_MS = 250;
const KEEP_MS = 10_000;

/**
 * This node's figures, read from the same prom-client registry GET /metrics serves.
 * Nothing runs between requests: each request takes a reading and compares it with the
 * newest kept reading at least WINDOW_MS older (several open pages share the readings).
 */
@Injectable()
export class NodeStats {
  private readonly samples: Sample[] = [];
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly metrics: WaypointMetrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async figures(): Promise<NodeFigures> {
    const now = await this.sample();
    const base = this.baseFor(now);
    this.keep(now);
    const seconds = base ? (now.at - base.at) / 1000 : 0;
    const positionsPerSecond = ratesBetween(base?.positions ?? null, now.positions, seconds);
    const rejectionsPerSecond = Object.fromEntries(Object.entries(positionsPerSecond).filter(([outcome]) => !NOT_REFUSED.has(outcome)));
    const window = (pick: (s: Sample) => Buckets) => quantiles(bucketsBetween(base ? pick(base) : null, pick(now)));
    return {
      node: this.identity(),
      at: new Date().toISOString(),
      windowSeconds: base ? seconds : null,
      playersOnline: await this.gauge('waypoint_players_online'),
      positionsPerSecond: base ? positionsPerSecond : {},
      rejectionsPerSecond: base ? rejectionsPerSecond : {},
      positionsTotal: now.positions,
      ackSeconds: window((s) => s.ack),
      commitSeconds: window((s) => s.commit),
      batchEventsMean: mean(bucketsBetween(base?.batch ?? null, now.batch)),
      broadcastDelaySeconds: window((s) => s.broadcast),
      queueDepth: await this.gauge('waypoint_append_queue_events'),
      slowClients: await this.gauge('waypoint_slow_clients'),
    };
  }

  identity(): NodeIdentity {
    const address = this.adapterHost.httpAdapter?.getHttpServer()?.address();
    const port = address && typeof address === 'object' ? address.port : 0;
    const host = hostname();
    return { id: `${host}:${port}`, host, port, pid: process.pid, startedAt: this.startedAt };
  }

  private baseFor(now: Sample): Sample | null {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (now.at - this.samples[i].at >= WINDOW_MS) return this.samples[i];
    }
    return this.samples[0] ?? null;
  }

  private keep(now: Sample): void {
    const last = this.samples[this.samples.length - 1];
    if (!last || now.at - last.at >= RESAMPLE_MS) this.samples.push(now);
    // Keep the newest reading older than a window, so the next request still has a base.
    while (this.samples.length > 2 && now.at - this.samples[1].at >= KEEP_MS) this.samples.shift();
  }

  private async sample(): Promise<Sample> {
    const [positions, ack, commit, batch, broadcast] = await Promise.all([
      this.read('waypoint_positions_total'),
      this.read('waypoint_position_ack_seconds'),
      this.read('waypoint_append_commit_seconds'),
      this.read('waypoint_append_batch_events'),
      this.read('waypoint_broadcast_delay_seconds'),
    ]);
    const byOutcome: Record<string, number> = {};
    for (const v of positions?.values ?? []) byOutcome[String(v.labels.outcome)] = v.value;
    return { at: performance.now(), positions: byOutcome, ack: toBuckets(ack), commit: toBuckets(commit), batch: toBuckets(batch), broadcast: toBuckets(broadcast) };
  }

  private async gauge(name: string): Promise<number> {
    return (await this.read(name))?.values[0]?.value ?? 0;
  }

  private async read(name: string): Promise<Reading | undefined> {
    return this.metrics.registry.getSingleMetric(name)?.get() as Promise<Reading> | undefined;
  }
}

function mean(buckets: Buckets): number | null {
  return buckets.count > 0 ? buckets.sum / buckets.count : null;
}

/** prom-client's reading of an unlabelled histogram (`_bucket` per `le`, `_sum`, `_count`) as Buckets. */
function toBuckets(metric: Reading | undefined): Buckets {
  const le: number[] = [];
  const counts: number[] = [];
  let sum = 0;
  let count = 0;
  for (const v of metric?.values ?? []) {
    const name = v.metricName ?? '';
    if (name.endsWith('_bucket')) {
      const bound = v.labels.le;
      le.push(bound === '+Inf' ? Infinity : Number(bound));
      counts.push(v.value);
    } else if (name.endsWith('_sum')) sum = v.value;
    else if (name.endsWith('_count')) count = v.value;
  }
  return { le, counts, sum, count };
}
