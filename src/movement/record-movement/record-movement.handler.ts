import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { eventMetadata } from '../../common/event-metadata';
import { EventStore } from '../../event-store';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';
import { learnRecorded, Mover, Movers, ResumeState } from '../movers';
import { ClientSessionProjection, resumeKey } from '../resume/client-session.projection';
import { MovementData } from '../position';
import { MovementBatcher, MovementNotRecorded, Recorded, Refusal } from './movement-batcher';
import { decideMovement } from './movement-rules';
import { RecordMovement, RecordMovementResult } from './record-movement.command';

const REFUSED: Record<Refusal, { code: 'unavailable'; message: string }> = {
  busy: { code: 'unavailable', message: 'the movement was not recorded (the server is busy recording others); send it again' },
  database: { code: 'unavailable', message: 'the movement was not recorded (the database is not answering); send it again' },
};
const NOT_RECORDED = {
  code: 'unavailable',
  message: 'the movement was not recorded (the database is unavailable); send it again',
} as const;
const OUTCOME_UNKNOWN = {
  code: 'unavailable',
  message: 'the database did not answer as the movement was committed, and whether it was recorded could not be learned; it may be stored',
} as const;

/**
 * One position, from the message to its answer: the rules decide (rate limit, shape,
 * bounds, speed), a resend already recorded in its resumable session is answered as a
 * duplicate, and an accepted movement goes to the batcher, whose promise settles after
 * the commit.
 */
@CommandHandler(RecordMovement)
export class RecordMovementHandler implements ICommandHandler<RecordMovement> {
  constructor(
    private readonly movers: Movers,
    private readonly batcher: MovementBatcher,
    private readonly store: EventStore,
    private readonly clientSessions: ClientSessionProjection,
    private readonly metrics: WaypointMetrics,
  ) {}

  async execute(command: RecordMovement): Promise<RecordMovementResult> {
    const { player, receivedAt, clientSession } = command;
    const mover = this.movers.of(player.id, receivedAt);
    const decision = decideMovement(command.payload, mover.motion, this.movers.limits, receivedAt, clientSession !== null);
    mover.motion = decision.state;
    this.metrics.stage('decided', (Date.now() - receivedAt) / 1000);
    if (!decision.accepted) return { ok: false, error: { code: decision.code, message: decision.message }, seq: decision.seq };

    const { movement } = decision;
    const refusal = this.batcher.refusal();
    if (refusal) return { ok: false, error: REFUSED[refusal], seq: movement.seq };
    const metadata = eventMetadata(command.sessionId, randomUUID());
    if (clientSession === null) return this.answer(movement.seq, this.batcher.record(mover, movement, metadata));

    // A resumable session: each seq is recorded at most once.
    const seq = movement.seq!;
    const resume = mover.resume(clientSession);
    // A position can beat its session's start: what the database holds is read first.
    resume.loaded ??= this.loadResume(mover, clientSession, resume);
    try {
      await resume.loaded;
    } catch {
      resume.loaded = null;
      return { ok: false, error: NOT_RECORDED, seq };
    }
    if (resume.accepted !== null && seq <= resume.accepted) {
      // At or below a seq taken earlier, maybe still in flight (a resend racing the old
      // connection's append): once those are settled, it is a duplicate if it was recorded.
      await resume.tail;
      if (resume.recorded !== null && seq <= resume.recorded) return { ok: true, seq, duplicate: true };
    }
    resume.accepted = resume.accepted === null ? seq : Math.max(resume.accepted, seq);
    const data: MovementData = { ...movement, clientSession };
    const recording = this.batcher.record(mover, data, metadata);
    resume.tail = recording.then(
      () => (resume.recorded = resume.recorded === null ? seq : Math.max(resume.recorded, seq)),
      () => undefined,
    );
    return this.answer(seq, recording);
  }

  /**
   * What the database holds of a resumable session: the stream's version first, then the
   * session's last seq, so that a commit by another writer in between shows as a version
   * clash at the next append, never as a resend recorded twice.
   */
  private async loadResume(mover: Mover, clientSession: string, resume: ResumeState): Promise<void> {
    if (mover.version === undefined) mover.version = (await this.store.streamVersions([mover.streamId])).get(mover.streamId) ?? 0;
    const stored = await this.clientSessions.lastSeqs([{ playerId: mover.playerId, clientSession }]);
    const lastSeq = stored.get(resumeKey(mover.playerId, clientSession));
    if (lastSeq !== undefined) learnRecorded(resume, lastSeq);
  }

  private async answer(seq: number | null, recording: Promise<Recorded>): Promise<RecordMovementResult> {
    try {
      return (await recording) === 'duplicate' ? { ok: true, seq: seq!, duplicate: true } : { ok: true, seq };
    } catch (error) {
      const unknown = error instanceof MovementNotRecorded && error.outcomeUnknown;
      return { ok: false, error: unknown ? OUTCOME_UNKNOWN : NOT_RECORDED, seq };
    }
  }
}
