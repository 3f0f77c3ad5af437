import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS, Settings } from '../config/settings';
import { movementStreamId } from '../players/player-streams';
import { initialMotionState, MotionState, MovementLimits } from './record-movement/movement-rules';

/** What is known of one client session (auth.clientSession) of a player. */
export interface ResumeState {
  /** Highest seq known recorded. */
  recorded: number | null;
  /** Highest seq accepted for recording (recorded, queued or in flight). */
  accepted: number | null;
  /** Settles once the client session's latest accepted movement is recorded or refused. */
  tail: Promise<unknown>;
  /** Settles once `recorded` holds what the database had when this node first looked (null: not looked yet). */
  loaded: Promise<void> | null;
}

/**
 * Everything the write path keeps about one player while it is connected to this node:
 * its rate-limit bucket and last accepted position (for the rules), the last committed
 * version of its movement stream (this node is the stream's single writer), and its
 * client sessions. One object per player, shared by a takeover's old and new
 * connection, so a resend racing the old connection's append is seen here.
 */
export class Mover {
  motion: MotionState;
  /** Last committed version of the movement stream; undefined until read from the database. */
  version: number | undefined = undefined;
  readonly resumes = new Map<string, ResumeState>();
  readonly sessions = new Set<string>();
  /** Movements of this player queued or being written (kept by the batcher). */
  inFlight = 0;
  /** When its last connection closed (epoch ms); null while it has one. */
  idleSince: number | null = null;

  constructor(
    readonly playerId: string,
    readonly streamId: string,
    motion: MotionState,
  ) {
    this.motion = motion;
  }

  resume(clientSession: string): ResumeState {
    let state = this.resumes.get(clientSession);
    if (!state) {
      state = { recorded: null, accepted: null, tail: Promise.resolve(), loaded: null };
      this.resumes.set(clientSession, state);
    }
    return state;
  }
}

/** How long a player's state outlives its last connection (see Movers.retiring). */
const RETIRE_AFTER_MS = 60_000;

/** What the database holds of a player when one of its connections starts. */
export interface StoredMover {
  version: number;
  /** The last recorded position and when, on this node's clock (ms). */
  last: MotionState['last'];
  /** The highest recorded seq of the handshake's clientSession, if it had one. */
  resume?: { clientSession: string; lastSeq: number | null };
}

/**
 * The one owner of per-player write-path state on this node: a Mover is made when a
 * player's first connection joins (or its first position arrives just before), and
 * dropped after its last connection leaves.
 */
@Injectable()
export class Movers {
  readonly limits: MovementLimits;
  private readonly movers = new Map<string, Mover>();
  /**
   * Players whose last connection left: kept for RETIRE_AFTER_MS, and until nothing of theirs
   * is in flight, so that whatever still holds the Mover (a position being decided, a
   * batch being written, a connection taking over) keeps working on the same object. Two
   * Movers of one player at once would assign the same stream versions twice.
   */
  private readonly retiring = new Set<Mover>();

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.limits = {
      world: settings.world,
      rateLimit: settings.rateLimit,
      maxSpeed: settings.maxSpeed,
      maxPositionPayloadBytes: settings.maxPositionPayloadBytes,
    };
  }

  /** The player's Mover, made fresh if none is live (a position can beat its connection's start). */
  of(playerId: string, now: number): Mover {
    let mover = this.movers.get(playerId);
    if (!mover) {
      mover = new Mover(playerId, movementStreamId(playerId), initialMotionState(this.limits, now));
      this.movers.set(playerId, mover);
    }
    return mover;
  }

  /**
   * A connection of the player starts, with what the database holds. What this node already
   * knows of a live player (a takeover on the same node) is newer and is kept.
   */
  join(playerId: string, sessionId: string, stored: StoredMover, now: number): Mover {
    this.sweep(now);
    const known = this.movers.get(playerId);
    const mover = this.of(playerId, now);
    mover.sessions.add(sessionId);
    mover.idleSince = null;
    if (mover.version === undefined || mover.version < stored.version) mover.version = stored.version;
    if (!known && stored.last) mover.motion = initialMotionState(this.limits, now, stored.last);
    if (stored.resume) {
      const resume = mover.resume(stored.resume.clientSession);
      if (stored.resume.lastSeq !== null) learnRecorded(resume, stored.resume.lastSeq);
      resume.loaded ??= Promise.resolve();
    }
    return mover;
  }

  /** A connection ended; the Mover goes a while after the player's last one, once nothing of it is in flight. */
  leave(playerId: string, sessionId: string, now = Date.now()): void {
    const mover = this.movers.get(playerId);
    if (mover) {
      mover.sessions.delete(sessionId);
      if (mover.sessions.size === 0) {
        mover.idleSince = now;
        this.retiring.add(mover);
      }
    }
    this.sweep(now);
  }

  private sweep(now: number): void {
    for (const mover of this.retiring) {
      if (mover.sessions.size > 0 || mover.idleSince === null) this.retiring.delete(mover);
      else if (mover.inFlight === 0 && now - mover.idleSince >= RETIRE_AFTER_MS) {
        this.retiring.delete(mover);
        if (this.movers.get(mover.playerId) === mover) this.movers.delete(mover.playerId);
      }
    }
  }
}

/** Raises what a client session knows recorded (and so accepted) to `lastSeq`. */
export function learnRecorded(resume: ResumeState, lastSeq: number): void {
  if (resume.recorded === null || resume.recorded < lastSeq) resume.recorded = lastSeq;
  if (resume.accepted === null || resume.accepted < lastSeq) resume.accepted = lastSeq;
}
