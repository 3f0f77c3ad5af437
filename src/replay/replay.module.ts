import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EventQueries } from './history';
import { WorldModule } from '../world/world.module';
import { ReplayQueryHandlers } from '.';
import { ReaderGuard } from './access/reader.guard';
import { ExportMonitor } from './export-movements/export-monitor';
import { MovementsController } from './movements.controller';
import { PlayersController } from './players.controller';
import { MovementRanges } from './read-movements/movement-ranges';
import { WorldController } from './world.controller';
import { PlayerRoster } from './world-snapshot/player-roster';

/** Analysts replay movement history over REST (docs/replay-api.md). */
@Module({
  imports: [CqrsModule, WorldModule],
  controllers: [PlayersController, MovementsController, WorldController],
  providers: [...ReplayQueryHandlers, EventQueries, MovementRanges, ReaderGuard, ExportMonitor, PlayerRoster],
  exports: [ExportMonitor],
})
export class ReplayModule {}
