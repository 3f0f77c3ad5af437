import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { SETTINGS, Settings } from '../../config/settings';
import { DatabaseStatus, gotNoAnswer } from '../../database/database-status';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';
import {
  AppendNotRecorded,
  CommitOutcomeUnknown,
  ConcurrencyError,
  EventMetadata,
  EventStore,
  InlineProjection,
  VersionedNewEvent,
} from '../../event-store';
import { LastPositionProjection } from '../last-position/last-position.projection';
import { learnRecorded, Mover } from '../movers';
import { PlayerMoved, PlayersMoved } from '../player-moved.event';
import { MovementData, PLAYER_MOVED } from '../position';
import { ClientSessionProjection, resumeKey } from '../resume/client-session.projection';

/** How a movement handed to the batcher ended. */
export type Recorded = 'recorded' | 'duplicate';

/** Why the batcher cannot take a movement now. */
export type Refusal = 'busy' | 'database';

/** A movement given up on: `outcomeUnknown` when it may be stored (its commit's answer was lost). */
export class MovementNotRecorded extends Error {
  constructor(
    readonly outcomeUnknown: boolean,
    reason: string,
  ) {
    super(reason);
  }
}

interface Pending {
  mover: Mover;
  data: MovementData;
  metadata: EventMetadata;
  /** When it was queued (performance.now()), for the write path's stage metrics. */
  queuedAt: number;
  resolve(outcome: Recorded): void;
  reject(error: MovementNotRecorded): void;
}

/** One queue of movements, with at most one batch of it being written at a time. */
interface Lane {
  queue: Pending[];
  writing: boolean;
  timer: NodeJS.Timeout | null;
  /** When the pending timer fires (epoch ms). */
  timerDue: number;
  lastBegunAt: number;
}

/**
 * Group commit for movements: the step between the rules and the database.
 *
 * A movement is queued in its player's lane. A lane begins a batch at once after a quiet
 * spell, else one window (APPEND_BATCH_WINDOW_MS) after its previous batch began, or at
 * once when APPEND_BATCH_MAX_EVENTS are queued; what arrives while a batch is written
 * joins the next. The batch is one statement and one commit through the event store's
 * batch writer, which is bounded in time (APPEND_TIMEOUT_MS). Each movement's promise
 * settles only after the commit, so an acknowledged movement is durable; then the
 * batch's PlayerMoved events are published on the EventBus, in order.
 *
 * A player always maps to the same lane, and a lane writes one batch at a time, so a
 * stream is appended strictly in order. This node is the single writer of the movement
 * streams of the players connected to it and assigns their versions itself; the primary
 * key catches a writer on another node (a takeover), and the batch is then re-read and
 * written once more, leaving out resent movements that the other writer already stored.
 *
 * When the database does not answer, the batch in flight is settled by the writer
 * (recorded, not recorded, or outcome unknown), everything queued behind it is refused
 * at once, and new movements are refused until DatabaseStatus sees the database answer.
 */
@Injectable()
export class MovementBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(MovementBatcher.name);
  private readonly lanes: Lane[];
  private readonly projections: InlineProjection[];
  /** Movements queued or being written. */
  private queued = 0;

  constructor(
    private readonly store: EventStore,
    lastPositions: LastPositionProjection,
    private readonly clientSessions: ClientSessionProjection,
    private readonly eventBus: EventBus,
    private readonly database: DatabaseStatus,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly metrics: WaypointMetrics,
  ) {
    metrics.watch('appendQueue', () => this.queued);
    this.projections = [lastPositions, clientSessions];
    this.lanes = Array.from({ length: settings.appendBatch.lanes }, () => ({ queue: [], writing: false, timer: null, timerDue: 0, lastBegunAt: 0 }));
  }

  /**
   * Why a movement cannot be taken now, or null: APPEND_QUEUE_MAX_EVENTS are waiting (the
   * database is not keeping up), or the database is not answering.
   */
  refusal(): Refusal | null {
    if (!this.database.up) return 'database';
    return this.queued >= this.settings.appendBatch.maxQueuedEvents ? 'busy' : null;
  }

  /** Resolves once the movement is committed (never before); rejects with MovementNotRecorded. */
  record(mover: Mover, data: MovementData, metadata: EventMetadata): Promise<Recorded> {
    this.queued++;
    mover.inFlight++;
    const lane = this.laneOf(mover.playerId);
    return new Promise((resolve, reject) => {
      lane.queue.push({ mover, data, metadata, queuedAt: performance.now(), resolve, reject });
      this.schedule(lane);
    });
  }

  /** A player's lane, fixed for the player so its events are appended in order. */
  private laneOf(playerId: string): Lane {
    if (this.lanes.length === 1) return this.lanes[0];
    let hash = 0;
    for (let i = playerId.length - 4; i < playerId.length; i++) hash = (hash * 31 + playerId.charCodeAt(i)) | 0;
    return this.lanes[Math.abs(hash) % this.lanes.length];
  }

  /**
   * Arms the lane's timer for its next batch, keeping a pending timer that fires no later
   * than needed. Re-arming it on every arrival instead turns "at once" into "after the
   * first pause of a millisecond": under load positions arrive closer than that.
   */
  private schedule(lane: Lane): void {
    if (lane.writing || lane.queue.length === 0) return; // the batch being written picks the queue up when it ends
    const { windowMs, maxEvents } = this.settings.appendBatch;
    const delay = lane.queue.length >= maxEvents ? 0 : Math.max(0, lane.lastBegunAt + windowMs - Date.now());
    const due = Date.now() + delay;
    if (lane.timer) {
      if (lane.timerDue <= due) return;
      clearTimeout(lane.timer);
    }
    lane.timerDue = due;
    lane.timer = setTimeout(() => void this.writeNextBatch(lane), delay);
  }

  private async writeNextBatch(lane: Lane): Promise<void> {
    lane.timer = null;
    const batch = lane.queue.splice(0, this.settings.appendBatch.maxEvents);
    if (batch.length === 0) return;
    lane.lastBegunAt = Date.now();
    lane.writing = true;
    try {
      await this.write(batch);
    } finally {
      lane.writing = false;
    }
    this.schedule(lane);
  }

  /** Writes one batch and settles every movement of it. */
  private async write(batch: Pending[]): Promise<void> {
    if (!this.database.up) return this.refuse(batch, new MovementNotRecorded(false, 'the database is not answering'));
    const appendedAt = performance.now();
    let todo = this.withoutKnownDuplicates(batch);
    if (todo.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      let events: VersionedNewEvent<MovementData>[];
      let recordedAt: Date;
      try {
        await this.readUnknownVersions(todo);
        events = this.assignVersions(todo);
        ({ recordedAt } = await this.store.appendBatch(events, this.projections));
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt === 1) {
          // Another node wrote to one of these streams (a takeover across nodes).
          this.logger.warn({ message: 'stream version clash, re-reading versions', streams: error.streamIds.length });
          todo = await this.afterClash(todo, error.streamIds).catch((reread) => {
            this.refuse(todo, this.notRecorded(reread));
            return [];
          });
          if (todo.length === 0) return;
          continue;
        }
        return this.refuse(todo, this.notRecorded(error));
      }
      this.database.answered();
      this.metrics.batchCommitted(todo.length, todo[0].queuedAt, appendedAt);
      return this.recorded(todo, events, recordedAt.getTime());
    }
  }

  /**
   * After a version clash: the streams' versions as stored now, then (in that order, so a
   * commit in between can only cause another clash, never a double) the highest seq
   * stored per resumable session; resent movements already stored are answered as
   * duplicates and left out.
   */
  private async afterClash(batch: Pending[], streamIds: string[]): Promise<Pending[]> {
    const clashed = new Set(streamIds);
    for (const p of batch) if (clashed.has(p.mover.streamId)) p.mover.version = undefined;
    await this.readUnknownVersions(batch);
    const resumable = batch.filter((p) => p.data.clientSession !== undefined);
    const stored = await this.clientSessions.lastSeqs(resumable.map((p) => ({ playerId: p.mover.playerId, clientSession: p.data.clientSession! })));
    for (const p of resumable) {
      const last = stored.get(resumeKey(p.mover.playerId, p.data.clientSession!));
      if (last !== undefined) learnRecorded(p.mover.resume(p.data.clientSession!), last);
    }
    return this.withoutKnownDuplicates(batch);
  }

  /**
   * Answers as duplicates the resent movements at or below what their session knows
   * recorded: learned from the store after a clash, this covers the movements queued
   * behind the clashing batch too.
   */
  private withoutKnownDuplicates(batch: Pending[]): Pending[] {
    const rest: Pending[] = [];
    for (const p of batch) {
      const cs = p.data.clientSession;
      const recorded = cs === undefined ? null : (p.mover.resumes.get(cs)?.recorded ?? null);
      if (recorded !== null && p.data.seq !== null && p.data.seq <= recorded) {
        this.queued--;
        p.mover.inFlight--;
        p.resolve('duplicate');
      } else rest.push(p);
    }
    return rest;
  }

  /** What a failed batch tells its movements; a database that did not answer is reported down. */
  private notRecorded(error: unknown): MovementNotRecorded {
    this.logger.error({ message: 'movement batch not recorded', error: String(error) });
    if (error instanceof CommitOutcomeUnknown) {
      this.database.down(error);
      return new MovementNotRecorded(true, error.message);
    }
    if (error instanceof AppendNotRecorded ? error.noAnswer : gotNoAnswer(error)) this.database.down(error);
    return new MovementNotRecorded(false, error instanceof Error ? error.message : String(error));
  }

  private refuse(batch: Pending[], failure: MovementNotRecorded): void {
    this.queued -= batch.length;
    for (const p of batch) {
      p.mover.inFlight--;
      p.reject(failure);
    }
    // Nothing queued behind a database that does not answer waits for it.
    if (!this.database.up) {
      for (const lane of this.lanes) {
        const waiting = lane.queue.splice(0);
        this.queued -= waiting.length;
        for (const p of waiting) {
          p.mover.inFlight--;
          p.reject(new MovementNotRecorded(false, 'the database is not answering'));
        }
      }
    }
  }

  /** The batch is committed: remember its versions, acknowledge it, and only now tell anyone of it. */
  private recorded(batch: Pending[], events: VersionedNewEvent<MovementData>[], recordedAt: number): void {
    this.queued -= batch.length;
    const moves = new Array<PlayerMoved>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const { mover, resolve } = batch[i];
      const { data, streamVersion } = events[i];
      mover.inFlight--;
      if (mover.version === undefined || mover.version < streamVersion) mover.version = streamVersion;
      moves[i] = new PlayerMoved(mover.playerId, data, recordedAt, streamVersion);
      resolve('recorded');
    }
    this.eventBus.publish(new PlayersMoved(moves));
  }

  private async readUnknownVersions(batch: Pending[]): Promise<void> {
    const unknown = [...new Set(batch.filter((p) => p.mover.version === undefined).map((p) => p.mover))];
    if (unknown.length === 0) return;
    const versions = await this.store.streamVersions(unknown.map((m) => m.streamId));
    for (const mover of unknown) mover.version = versions.get(mover.streamId) ?? 0;
  }

  /** Consecutive versions after each stream's last committed one; kept on the Mover only once committed. */
  private assignVersions(batch: Pending[]): VersionedNewEvent<MovementData>[] {
    const next = new Map<Mover, number>();
    return batch.map(({ mover, data, metadata }) => {
      const version = (next.get(mover) ?? mover.version!) + 1;
      next.set(mover, version);
      return { streamId: mover.streamId, streamVersion: version, type: PLAYER_MOVED, data, metadata };
    });
  }

  /** Drain on shutdown: everything queued is written (and acked or refused) before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    for (const lane of this.lanes) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
    }
    while (this.queued > 0) {
      const idle = this.lanes.filter((lane) => !lane.writing && lane.queue.length > 0);
      await Promise.all(idle.map((lane) => this.writeNextBatch(lane)));
      if (idle.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
