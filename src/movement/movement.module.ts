import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { MovementCommandHandlers } from '.';
import { LastPositionProjection } from './last-position/last-position.projection';
import { RebuildLastPositions } from './last-position/rebuild-last-positions';
import { Movers } from './movers';
import { MovementBatcher } from './record-movement/movement-batcher';
import { ClientSessionProjection } from './resume/client-session.projection';

@Module({
  imports: [CqrsModule],
  providers: [...MovementCommandHandlers, Movers, MovementBatcher, LastPositionProjection, ClientSessionProjection, RebuildLastPositions],
  exports: [Movers, MovementBatcher, ClientSessionProjection, RebuildLastPositions],
})
export class MovementModule {}
