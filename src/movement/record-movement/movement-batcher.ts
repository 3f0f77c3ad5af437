import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SETTINGS, Settings } from '../../config/settings';
import { EventBus } from '@nestjs/cqrs';
import { ConcurrencyError, EventMetadata, EventStore, VersionedNewEvent } from '../../event-store';
import { movementStreamId } from '../../players/player-streams';
import { LastPositionProjection } from '../last-position/last-position.projection';
import { PlayerMoved, PlayersMoved } from '../player-moved.event';
import { MovementData, PLAYER_MOVED } from '../position';

interface Pending {
  playerId: string;
  streamId: string;
  data: MovementData;
  metadata: EventMetadata;
  resolve(): void;
  reject(error: Error): void;
}

/** Too many movements are waiting to be recorded (APPEND_QUEUE_MAX_EVENTS). */
export class QueueFullError extends Error {
  constructor() {
    super('the server is busy recording other movements');
  }
}

/**
 * Group commit for movements. Positions arriving within a short window are appended in
 * one round trip and one commit; each caller's promise settles only after that commit,
 * so an acknowledged movement is durable; then the batch's PlayerMoved events are
 * published on the EventBus, in order. One batch is in flight at a time: what arrives
 * meanwhile forms the next batch, so batches grow with load instead of commits piling up.
 *
 * This node is the single writer of the movement streams of the players connected to it,
 * so it assigns stream versions itself (Marten's "quick append") and the primary key
 * catches the rare writer on another node.
 */
@Injectable()
export class MovementBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(MovementBatcher.name);
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** Last committed version of each movement stream this node writes. */
  private readonly versions = new Map<string, number>();
  /** Streams whose session ended; forgotten once nothing of theirs is queued. */
  private readonly released = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly projection: LastPositionProjection,
    private readonly eventBus: EventBus,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** Remember a stream's last committed version, unless this node already knows a newer one. */
  prime(playerId: string, version: number): void {
    const streamId = movementStreamId(playerId);
    this.released.delete(streamId);
    const known = this.versions.get(streamId);
    if (known === undefined || known < version) this.versions.set(streamId, version);
  }

  release(playerId: string): void {
    this.released.add(movementStreamId(playerId));
    if (!this.flushing && this.queue.length === 0) this.forgetReleased();
  }

  /** Resolves once the movement is committed (never before); rejects at once when too much is waiting. */
  record(playerId: string, data: MovementData, metadata: EventMetadata): Promise<void> {
    if (this.queue.length >= this.settings.appendBatch.maxQueuedEvents) {
      // The database is not keeping up: refuse now rather than grow memory without bound.
      return Promise.reject(new QueueFullError());
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ playerId, streamId: movementStreamId(playerId), data, metadata, resolve, reject });
      if (this.queue.length >= this.settings.appendBatch.maxEvents) this.flushSoon(0);
      else this.flushSoon(this.settings.appendBatch.windowMs);
    });
  }

  private flushSoon(delayMs: number): void {
    if (this.flushing) return; // the running flush picks the queue up when it ends
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = this.queue.splice(0, this.settings.appendBatch.maxEvents);
    if (batch.length === 0) return;
    this.flushing = this.appendWithRetry(batch);
    await this.flushing;
    this.flushing = null;
    this.forgetReleased();
    if (this.queue.length > 0) this.flushSoon(0);
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
        this.logger.error({ message: 'movement batch not recorded', events: batch.length, error: String(error) });
        const failure = new Error('movement not recorded: the database did not accept the batch');
        for (const p of batch) p.reject(failure);
        return;
      }
      const at = recordedAt.getTime();
      const moves = new Array<PlayerMoved>(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const e = events[i];
        this.versions.set(e.streamId, e.streamVersion);
        moves[i] = new PlayerMoved(batch[i].playerId, e.data, at, e.streamVersion);
        batch[i].resolve();
      }
      // Only now, after the commit, may anyone hear of these movements.
      this.eventBus.publish(new PlayersMoved(moves));
      return;
    }
  }

  private async loadUnknownVersions(batch: Pending[]): Promise<void> {
    const unknown = [...new Set(batch.filter((p) => !this.versions.has(p.streamId)).map((p) => p.streamId))];
    if (unknown.length === 0) return;
    for (const [id, version] of await this.store.streamVersions(unknown)) this.versions.set(id, version);
  }

  /** Consecutive versions after the last committed one; nothing is kept until the commit succeeds. */
  private assignVersions(batch: Pending[]): VersionedNewEvent<MovementData>[] {
    const next = new Map<string, number>();
    return batch.map((p) => {
      const version = (next.get(p.streamId) ?? this.versions.get(p.streamId)!) + 1;
      next.set(p.streamId, version);
      return { streamId: p.streamId, streamVersion: version, type: PLAYER_MOVED, data: p.data, metadata: p.metadata };
    });
  }

  private forgetReleased(): void {
    if (this.released.size === 0) return;
    const queued = new Set(this.queue.map((p) => p.streamId));
    for (const id of this.released) {
      if (queued.has(id)) continue;
      this.versions.delete(id);
      this.released.delete(id);
    }
  }

  /** Drain on shutdown: everything queued is committed (and acked) before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    while (this.flushing || this.queue.length > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }
}
