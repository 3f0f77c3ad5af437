import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SETTINGS, Settings, usesEmbeddedDatabase } from '../../config/settings';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';
import { EventBus } from '@nestjs/cqrs';
import { AppendTransaction, CommitOutcomeUnknown, ConcurrencyError, EventMetadata, EventStore, VersionedNewEvent } from '../../event-store';
import { movementStreamId } from '../../players/player-streams';
import { LastPositionProjection } from '../last-position/last-position.projection';
import { PlayerMoved, PlayersMoved } from '../player-moved.event';
import { MovementData, PLAYER_MOVED } from '../position';
import { AppendLane } from './append-lane';
import { Gathered, GatheringTransaction } from './gathering-transaction';

interface Pending {
  playerId: string;
  streamId: string;
  data: MovementData;
  metadata: EventMetadata;
  /** When it was queued (epoch ms), for the write path's stage metrics. */
  queuedAt: number;
  /** Set once appended into a gathering transaction (not yet committed). */
  event?: VersionedNewEvent<MovementData>;
  recordedAt?: number;
  resolve(): void;
  reject(error: Error): void;
}

/** A lane's queue and, on PostgreSQL, the transaction its next batch gathers into. */
interface Lane {
  lane: AppendLane<Pending>;
  gathering: GatheringTransaction<Pending> | null;
}

/**
 * Group commit for movements. Positions arriving within a short window are committed
 * together: on PostgreSQL appended in parts into the batch's open transaction while the
 * window gathers (GatheringTransaction), else in one statement when it ends. Each
 * caller's promise settles only after the commit, so an acknowledged movement is
 * durable; then the batch's PlayerMoved events are published on the EventBus, in order.
 *
 * Players are spread over APPEND_LANES lanes, each with one batch in flight, so one slow
 * commit does not hold every player back. A player always maps to the same lane, so its
 * stream is still appended strictly in order.
 *
 * This node is the single writer of the movement streams of the players connected to it,
 * so it assigns stream versions itself (Marten's "quick append") and the primary key
 * catches the rare writer on another node.
 */
@Injectable()
export class MovementBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(MovementBatcher.name);
  private readonly lanes: Lane[];
  /** Last committed version of each movement stream this node writes. */
  private readonly versions = new Map<string, number>();
  /** Streams whose session ended; forgotten once nothing of theirs is queued or in flight. */
  private readonly released = new Set<string>();
  private queued = 0;

  constructor(
    private readonly store: EventStore,
    private readonly projection: LastPositionProjection,
    private readonly eventBus: EventBus,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly metrics: WaypointMetrics,
  ) {
    metrics.watch('appendQueue', () => this.queued);
    const { partIntervalMs, lanes } = settings.appendBatch;
    const gather = partIntervalMs > 0 && !usesEmbeddedDatabase(settings);
    this.lanes = Array.from({ length: lanes }, () => this.newLane(gather));
  }

  private newLane(gather: boolean): Lane {
    const { windowMs, partIntervalMs, maxEvents } = this.settings.appendBatch;
    let gathering: GatheringTransaction<Pending> | null = null;
    const afterCommit = () => {
      this.forgetReleased();
      gathering?.soon();
    };
    const lane = new AppendLane<Pending>(windowMs, maxEvents, (batch) => this.timed(batch, () => this.appendBatch(batch, gathering)), afterCommit);
    if (gather) {
      gathering = new GatheringTransaction<Pending>(
        lane,
        partIntervalMs,
        maxEvents,
        () => this.store.beginAppend([this.projection]),
        (tx, items, versions) => this.appendPart(tx, items, versions),
        (error) => this.logger.warn({ message: 'appending part of a batch early failed; the batch will be appended whole', error: String(error) }),
      );
    }
    return { lane, gathering };
  }

  /** Remember a stream's last committed version, unless this node already knows a newer one. */
  prime(playerId: string, version: number): void {
    const streamId = movementStreamId(playerId);
    this.released.delete(streamId);
    const known = this.versions.get(streamId);
    if (known === undefined || known < version) this.versions.set(streamId, version);
  }

  release(playerId: string): void {
    this.released.add(movementStreamId(playerId));
    this.forgetReleased();
  }

  /**
   * APPEND_QUEUE_MAX_EVENTS movements are waiting or in flight: the database is not
   * keeping up, and callers refuse new ones rather than grow memory without bound.
   */
  get full(): boolean {
    return this.queued >= this.settings.appendBatch.maxQueuedEvents;
  }

  /** Resolves once the movement is committed (never before); rejects when its batch could not be. */
  record(playerId: string, data: MovementData, metadata: EventMetadata): Promise<void> {
    this.queued++;
    return new Promise((resolve, reject) => {
      const { lane, gathering } = this.laneOf(playerId);
      lane.push({ playerId, streamId: movementStreamId(playerId), data, metadata, queuedAt: Date.now(), resolve, reject });
      gathering?.soon();
    });
  }

  /** A player's lane, fixed for the player so its events are appended in order. */
  private laneOf(playerId: string): Lane {
    if (this.lanes.length === 1) return this.lanes[0];
    let hash = 0;
    for (let i = playerId.length - 4; i < playerId.length; i++) hash = (hash * 31 + playerId.charCodeAt(i)) | 0;
    return this.lanes[Math.abs(hash) % this.lanes.length];
  }

  /** Appends items of the gathering transaction's batch early, in it, with versions continuing `versions`. */
  private async appendPart(tx: AppendTransaction, items: Pending[], versions: Map<string, number>): Promise<void> {
    await this.loadUnknownVersions(items);
    const events = this.assignVersions(items, versions);
    const { recordedAt } = await tx.append(events);
    for (let i = 0; i < items.length; i++) {
      items[i].event = events[i];
      items[i].recordedAt = recordedAt.getTime();
    }
  }

  /** Commits a batch: the rest of it into its gathering transaction when it has one, else in one statement. */
  private async appendBatch(batch: Pending[], gathering: GatheringTransaction<Pending> | null): Promise<void> {
    const gathered = await gathering?.take();
    if (gathered) {
      const committed = await this.commitGathered(batch, gathered);
      if (committed !== 'retry') return;
      for (const p of batch) p.event = p.recordedAt = undefined;
    }
    await this.appendWithRetry(batch);
  }

  /**
   * Appends what the gathering transaction does not hold yet and commits. 'retry' when
   * it failed before COMMIT was sent (nothing of it is recorded, so the batch may be
   * appended again whole); a failed COMMIT rejects the batch instead, since whether it
   * was recorded is then unknown and appending it again could record it twice.
   */
  private async commitGathered(batch: Pending[], gathered: Gathered): Promise<'done' | 'retry'> {
    const { tx } = gathered;
    if (gathered.failed || !tx) {
      await tx?.rollback();
      return 'retry';
    }
    try {
      await this.appendPart(tx, batch.slice(gathered.count), gathered.versions);
    } catch (error) {
      this.logger.warn({ message: 'appending the rest of a gathered batch failed; appending it whole', error: String(error) });
      await tx.rollback();
      return 'retry';
    }
    try {
      await tx.commit();
    } catch (error) {
      this.rejectBatch(batch, error);
      return 'done';
    }
    this.recorded(batch);
    return 'done';
  }

  private async appendWithRetry(batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.loadUnknownVersions(batch);
      const events = this.assignVersions(batch);
      let recordedAt: Date;
      try {
        ({ recordedAt } = await this.store.appendBatch(events, [this.projection]));
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt === 1) {
          // Another node wrote to one of these streams (a takeover across nodes): re-read and retry once.
          this.logger.warn({ message: 'stream version clash, re-reading versions', streams: error.streamIds.length });
          for (const id of error.streamIds) this.versions.delete(id);
          continue;
        }
        this.rejectBatch(batch, error);
        return;
      }
      for (let i = 0; i < batch.length; i++) {
        batch[i].event = events[i];
        batch[i].recordedAt = recordedAt.getTime();
      }
      this.recorded(batch);
      return;
    }
  }

  private rejectBatch(batch: Pending[], error: unknown): void {
    this.logger.error({ message: 'movement batch not recorded', events: batch.length, error: String(error) });
    // Whether an unknown outcome or a refusal, callers tell their clients which.
    const failure = error instanceof CommitOutcomeUnknown ? error : new Error('movement not recorded: the database did not accept the batch');
    this.queued -= batch.length;
    for (const p of batch) p.reject(failure);
  }

  /** The batch is committed: remember its versions, acknowledge it, and only now tell anyone of it. */
  private recorded(batch: Pending[]): void {
    this.queued -= batch.length;
    this.metrics.batchCommitted(batch[0].queuedAt, batch[batch.length - 1].recordedAt!);
    const moves = new Array<PlayerMoved>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      const e = p.event!;
      this.versions.set(e.streamId, e.streamVersion);
      moves[i] = new PlayerMoved(p.playerId, e.data, p.recordedAt!, e.streamVersion);
      p.resolve();
    }
    this.eventBus.publish(new PlayersMoved(moves));
  }

  /** Times one batch's append and commit, whatever its outcome. */
  private async timed(batch: Pending[], append: () => Promise<void>): Promise<void> {
    const began = performance.now();
    await append().finally(() => this.metrics.batchAppended(batch.length, (performance.now() - began) / 1000));
  }

  private async loadUnknownVersions(batch: Pending[]): Promise<void> {
    const unknown = [...new Set(batch.filter((p) => !this.versions.has(p.streamId)).map((p) => p.streamId))];
    if (unknown.length === 0) return;
    for (const [id, version] of await this.store.streamVersions(unknown)) this.versions.set(id, version);
  }

  /**
   * Consecutive versions after the last committed one, continuing those already assigned
   * in `next` (earlier parts of the same transaction); nothing is kept in `versions`
   * until the commit succeeds.
   */
  private assignVersions(batch: Pending[], next = new Map<string, number>()): VersionedNewEvent<MovementData>[] {
    return batch.map((p) => {
      const version = (next.get(p.streamId) ?? this.versions.get(p.streamId)!) + 1;
      next.set(p.streamId, version);
      return { streamId: p.streamId, streamVersion: version, type: PLAYER_MOVED, data: p.data, metadata: p.metadata };
    });
  }

  private forgetReleased(): void {
    if (this.released.size === 0) return;
    const busy = new Set<string>();
    for (const { lane } of this.lanes) {
      for (const p of lane.queue) busy.add(p.streamId);
      for (const p of lane.inFlight) busy.add(p.streamId);
    }
    for (const id of this.released) {
      if (busy.has(id)) continue;
      this.versions.delete(id);
      this.released.delete(id);
    }
  }

  /** Drain on shutdown: everything queued is committed (and acked) before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.lanes.map(({ lane }) => lane.drain()));
  }
}
