import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { eventMetadata } from '../../common/event-metadata';
import { MotionStates } from './motion-states';
import { MovementBatcher, QueueFullError } from './movement-batcher';
import { MovementRejected } from './movement-error-code';
import { decideMovement } from './movement-rules';
import { RecordMovement, RecordMovementResult } from './record-movement.command';

@CommandHandler(RecordMovement)
export class RecordMovementHandler implements ICommandHandler<RecordMovement> {
  constructor(
    private readonly motions: MotionStates,
    private readonly batcher: MovementBatcher,
  ) {}

  async execute(command: RecordMovement): Promise<RecordMovementResult> {
    const { player, receivedAt } = command;
    const decision = decideMovement(command.payload, this.motions.get(player.id, receivedAt), this.motions.limits, receivedAt);
    this.motions.set(player.id, decision.state);
    if (!decision.accepted) throw new MovementRejected(decision.code, decision.message, decision.seq);

    const { movement } = decision;
    try {
      // Resolves after the commit; the batcher then publishes PlayersMoved for the batch.
      await this.batcher.record(player.id, movement, eventMetadata(command.sessionId, randomUUID()));
    } catch (error) {
      const why = error instanceof QueueFullError ? 'the server is busy' : 'the database is unavailable';
      throw new MovementRejected('unavailable', `the movement was not recorded (${why}); send it again`, movement.seq);
    }
    return { seq: movement.seq };
  }
}
