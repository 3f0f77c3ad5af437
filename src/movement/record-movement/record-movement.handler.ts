import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { eventMetadata } from '../../common/event-metadata';
import { PlayerMoved } from '../player-moved.event';
import { MotionStates } from './motion-states';
import { MovementBatcher } from './movement-batcher';
import { MovementRejected } from './movement-error-code';
import { decideMovement } from './movement-rules';
import { RecordMovement, RecordMovementResult } from './record-movement.command';

@CommandHandler(RecordMovement)
export class RecordMovementHandler implements ICommandHandler<RecordMovement> {
  constructor(
    private readonly motions: MotionStates,
    private readonly batcher: MovementBatcher,
    private readonly eventBus: EventBus,
  ) {}

  async execute(command: RecordMovement): Promise<RecordMovementResult> {
    const { player, receivedAt } = command;
    const decision = decideMovement(command.payload, this.motions.get(player.id, receivedAt), this.motions.limits, receivedAt);
    this.motions.set(player.id, decision.state);
    if (!decision.accepted) throw new MovementRejected(decision.code, decision.message, decision.seq);

    const { movement } = decision;
    let recorded;
    try {
      recorded = await this.batcher.record(player.id, movement, eventMetadata(command.sessionId, randomUUID()));
    } catch {
      throw new MovementRejected('unavailable', 'the movement was not recorded (database unavailable); send it again', movement.seq);
    }
    // Only now, after the commit, may anyone hear of the movement.
    this.eventBus.publish(
      new PlayerMoved(player.id, movement, recorded.recordedAt.getTime(), recorded.streamVersion, recorded.globalPosition),
    );
    return { seq: movement.seq };
  }
}
