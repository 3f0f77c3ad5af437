import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/**
 * The write path's stages, each timed from the stage before it: `decided` (received →
 * the rules decided), `appended` (decided and queued → its batch sent to the database),
 * `committed` (sent → the batch's statement and commit answered), `acked` (committed →
 * the batch's acks sent), `emitted` (committed → `players:moved` emitted).
 */
export type WriteStage = 'decided' | 'appended' | 'committed' | 'acked' | 'emitted';

/** Figures read when /metrics is scraped, from the part that owns them. */
export type WatchedFigure = 'playersOnline' | 'appendQueue' | 'slowClients' | 'exportsInFlight' | 'redisConnected';

/** What the metrics read of a `position`'s answer; error codes are a closed set, so labels stay few. */
export interface AnsweredPosition {
  ok: boolean;
  duplicate?: boolean;
  error?: { code: string };
}

/** Seconds from 0.5 ms to 10 s: acks, commits and broadcasts sit between 1 and 100 ms. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The pg Pool behind TypeORM's postgres driver. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/**
 * Every metric of this node, in one registry of its own (several servers in one process,
 * as in tests, do not share counters). Parts call the small methods below; figures that
 * already live elsewhere (players online, queue depth, ...) are read only when scraped,
 * so they cost nothing in between.
 */
@Injectable()
export class WaypointMetrics implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly watched = new Map<WatchedFigure, () => number>();

  private readonly positions = new Counter({
    name: 'waypoint_positions_total',
    help: 'position messages answered, by outcome: accepted, duplicate, or the error code',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** One child per outcome, made once: labels() hashes its argument on every call. */
  private readonly outcomes = new Map<string, Counter.Internal>();
  private readonly floodCutOffs = new Counter({
    name: 'waypoint_flood_cutoffs_total',
    help: 'connections told `error` flooding and disconnected (FLOOD_MAX_MESSAGES_PER_SECOND)',
    registers: [this.registry],
  });
  private readonly ack = new Histogram({
    name: 'waypoint_position_ack_seconds',
    help: 'position received → its ack sent (or its error emitted)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly stages = new Histogram({
    name: 'waypoint_position_stage_seconds',
    help: 'write path latency by stage, each from the one before: decided (received → decided, per position), appended, committed, acked, emitted (per batch, from its oldest movement)',
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly stageOf: Record<WriteStage, Histogram.Internal<'stage'>>;
  private readonly appendCommit = new Histogram({
    name: 'waypoint_append_commit_seconds',
    help: 'one committed batch of movements: append and commit',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchEvents = new Histogram({
    name: 'waypoint_append_batch_events',
    help: 'movements in one committed batch',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  private readonly broadcastDelay = new Histogram({
    name: 'waypoint_broadcast_delay_seconds',
    help: 'a batch committed → its players:moved emitted',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly broadcastTick = new Histogram({
    name: 'waypoint_broadcast_tick_seconds',
    help: 'time spent emitting one players:moved tick',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly http = new Histogram({
    name: 'waypoint_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  /** Batches committed whose acked stage is measured once their acks have gone out. */
  private ackedAfter: number[] = [];
  private ackTimer: NodeJS.Immediate | null = null;

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    this.stageOf = {
      decided: this.stages.labels('decided'),
      appended: this.stages.labels('appended'),
      committed: this.stages.labels('committed'),
      acked: this.stages.labels('acked'),
      emitted: this.stages.labels('emitted'),
    };
    this.watchedGauge('waypoint_players_online', 'players with a session on this node', 'playersOnline');
    this.watchedGauge('waypoint_append_queue_events', 'movements waiting to be recorded or in flight', 'appendQueue');
    this.watchedGauge('waypoint_slow_clients', 'clients left out of broadcasts until they catch up (SLOW_CLIENT_MAX_QUEUED_PACKETS)', 'slowClients');
    this.watchedGauge('waypoint_exports_in_flight', 'movement exports streaming now (MAX_CONCURRENT_EXPORTS)', 'exportsInFlight');
    this.poolGauges(dataSource);
  }

  /** `read` gives the figure's value when /metrics is scraped. */
  watch(figure: WatchedFigure, read: () => number): void {
    if (figure === 'redisConnected' && !this.watched.has(figure)) {
      this.watchedGauge('waypoint_redis_connected', '1 when every Redis connection of this node is ready, else 0 (only with REDIS_URL)', figure);
    }
    this.watched.set(figure, read);
  }

  /** A `position` was answered (`result` as its ack carries it): counts its outcome and times received → answered. */
  positionAnswered(result: AnsweredPosition, receivedAt: number): void {
    const outcome = result.ok ? (result.duplicate ? 'duplicate' : 'accepted') : (result.error?.code ?? 'unavailable');
    let counter = this.outcomes.get(outcome);
    if (!counter) {
      counter = this.positions.labels(outcome);
      this.outcomes.set(outcome, counter);
    }
    counter.inc();
    this.ack.observe((Date.now() - receivedAt) / 1000);
  }

  /** A connection was cut off for flooding. */
  floodCutOff(): void {
    this.floodCutOffs.inc();
  }

  stage(stage: WriteStage, seconds: number): void {
    this.stageOf[stage].observe(seconds);
  }

  /**
   * A batch of `events` movements committed just now: its oldest movement was queued at
   * `queuedAt` and the batch sent to the database at `appendedAt` (both performance.now()).
   * Its acks are sent in the promise callbacks that follow; the acked stage is timed
   * once they have run. Batches the database refused or did not answer are not counted
   * here: their movements are, as `unavailable`.
   */
  batchCommitted(events: number, queuedAt: number, appendedAt: number): void {
    const committedAt = performance.now();
    this.batchEvents.observe(events);
    this.appendCommit.observe((committedAt - appendedAt) / 1000);
    this.stageOf.appended.observe((appendedAt - queuedAt) / 1000);
    this.stageOf.committed.observe((committedAt - appendedAt) / 1000);
    this.ackedAfter.push(committedAt);
    this.ackTimer ??= setImmediate(() => {
      const now = performance.now();
      for (const at of this.ackedAfter) this.stageOf.acked.observe((now - at) / 1000);
      this.ackedAfter = [];
      this.ackTimer = null;
    });
  }

  /** One `players:moved` tick: emitting took `seconds`; it carried batches committed at `committedAt` (epoch ms). */
  broadcastEmitted(seconds: number, committedAt: readonly number[]): void {
    this.broadcastTick.observe(seconds);
    const now = Date.now();
    for (const at of committedAt) {
      const delay = (now - at) / 1000;
      this.broadcastDelay.observe(delay);
      this.stageOf.emitted.observe(delay);
    }
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  onModuleDestroy(): void {
    if (this.ackTimer) clearImmediate(this.ackTimer);
  }

  private watchedGauge(name: string, help: string, figure: WatchedFigure): void {
    const watched = this.watched;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const read = watched.get(figure);
        this.set(read ? read() : 0);
      },
    });
  }

  private poolGauges(dataSource: DataSource): void {
    const pool = () => (dataSource.driver as unknown as { master?: PgPool }).master;
    new Gauge({
      name: 'waypoint_database_pool_connections',
      help: 'pooled database connections of this node by state: in_use, idle, max',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: 'in_use' }, p.totalCount - p.idleCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'max' }, p.options?.max ?? 0);
      },
    });
    new Gauge({
      name: 'waypoint_database_pool_waiting',
      help: 'queries waiting for a pooled database connection',
      registers: [this.registry],
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
  }
}
