import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SETTINGS, Settings } from '../../config/settings';
import { EventBus } from '@nestjs/cqrs';
import { ConcurrencyError, EventMetadata, EventStore, VersionedNewEvent } from '../../event-store';
import { movementStreamId } from '../../players/player-streams';
import { LastPositionProjection } from '../last-position/last-position.projection';
import { PlayerMoved, PlayersMoved } from '../player-moved.event';
import { MovementData, PLAYER_MOVED } from '../position';
import { AppendLane } from './append-lane';

interface Pending {
  playerId: string;
  streamId: string;
  data: MovementData;
  metadata: EventMetadata;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Group commit for movements. Positions arriving within a short window are appended in
 * one round trip and one commit; each caller's promise settles only after that commit,
 * so an acknowledged movement is durable; then the batch's PlayerMoved events are
 * published on the EventBus, in order.
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
  private readonly lanes: AppendLane<Pending>[];
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
  ) {
    const { windowMs, maxEvents, lanes } = settings.appendBatch;
    this.lanes = Array.from(
      { length: lanes },
      () => new AppendLane(windowMs, maxEvents, (batch) => this.appendWithRetry(batch), () => this.forgetReleased()),
    );
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
      this.laneOf(playerId).push({ playerId, streamId: movementStreamId(playerId), data, metadata, resolve, reject });
    });
  }

  /** A player's lane, fixed for the player so its events are appended in order. */
  private laneOf(playerId: string): AppendLane<Pending> {
    if (this.lanes.length === 1) return this.lanes[0];
    let hash = 0;
    for (let i = playerId.length - 4; i < playerId.length; i++) hash = (hash * 31 + playerId.charCodeAt(i)) | 0;
    return this.lanes[Math.abs(hash) % this.lanes.length];
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
        this.queued -= batch.length;
        for (const p of batch) p.reject(failure);
        return;
      }
      this.queued -= batch.length;
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
    const busy = new Set<string>();
    for (const lane of this.lanes) {
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
    await Promise.all(this.lanes.map((lane) => lane.drain()));
  }
}
