import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { MovementModule } from '../movement/movement.module';
import { WorldBroadcaster } from './broadcast/world-broadcaster';
import { FloodGuard } from './flood-guard';
import { ConnectPlayerHandler } from './connect-player/connect-player.handler';
import { DisconnectPlayerHandler } from './disconnect-player/disconnect-player.handler';
import { OnlinePlayers } from './online-players';
import { PlayerNumbers } from './player-numbers';
import { SessionDirectory } from './session-directory';
import { SocketServerRef } from './socket-server.ref';
import { GracefulStop } from './graceful-stop/graceful-stop';
import { WorldGateway } from './world.gateway';

@Module({
  imports: [CqrsModule, MovementModule],
  providers: [WorldGateway, FloodGuard, ConnectPlayerHandler, DisconnectPlayerHandler, WorldBroadcaster, OnlinePlayers, SocketServerRef, SessionDirectory, PlayerNumbers, GracefulStop],
  exports: [OnlinePlayers, SessionDirectory, SocketServerRef],
})
export class WorldModule {}
