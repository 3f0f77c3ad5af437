import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { eventMetadata } from '../../common/event-metadata';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';
import { CommitOutcomeUnknown } from '../../event-store';
import { MotionStates } from './motion-states';
import { MovementBatcher } from './movement-batcher';
import { decideMovement } from './movement-rules';
import { RecordMovement, RecordMovementResult } from './record-movement.command';

const BUSY = {
  code: 'unavailable',
  message: 'the movement was not recorded (the server is busy recording others); send it again',
} as const;
const DATABASE_UNAVAILABLE = {
  code: 'unavailable',
  message: 'the movement was not recorded (the database is unavailable); send it again',
} as const;
const OUTCOME_UNKNOWN = {
  code: 'unavailable',
  message: 'the database connection failed as the movement was committed, and whether it was recorded could not be learned; it may be stored',
} as const;

@CommandHandler(RecordMovement)
export class RecordMovementHandler implements ICommandHandler<RecordMovement> {
  constructor(
    private readonly motions: MotionStates,
    private readonly batcher: MovementBatcher,
    private readonly metrics: WaypointMetrics,
  ) {}

  async execute(command: RecordMovement): Promise<RecordMovementResult> {
    const { player, receivedAt } = command;
    const decision = decideMovement(command.payload, this.motions.get(player.id, receivedAt), this.motions.limits, receivedAt);
    this.motions.set(player.id, decision.state);
    this.metrics.stage('decided', (Date.now() - receivedAt) / 1000);
    if (!decision.accepted) return { ok: false, error: { code: decision.code, message: decision.message }, seq: decision.seq };

    const { movement } = decision;
    if (this.batcher.full) return { ok: false, error: BUSY, seq: movement.seq };
    try {
      // Resolves after the commit; the batcher then publishes PlayersMoved for the batch.
      await this.batcher.record(player.id, movement, eventMetadata(command.sessionId, randomUUID()));
    } catch (error) {
      return { ok: false, error: error instanceof CommitOutcomeUnknown ? OUTCOME_UNKNOWN : DATABASE_UNAVAILABLE, seq: movement.seq };
    }
    return { ok: true, seq: movement.seq };
  }
}
