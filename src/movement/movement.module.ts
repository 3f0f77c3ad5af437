import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { MovementCommandHandlers } from '.';
import { LastPositionProjection } from './last-position/last-position.projection';
import { RebuildLastPositions } from './last-position/rebuild-last-positions';
import { MotionStates } from './record-movement/motion-states';
import { MovementBatcher } from './record-movement/movement-batcher';

@Module({
  imports: [CqrsModule],
  providers: [...MovementCommandHandlers, MotionStates, MovementBatcher, LastPositionProjection, RebuildLastPositions],
  exports: [MotionStates, MovementBatcher, RebuildLastPositions],
})
export class MovementModule {}
