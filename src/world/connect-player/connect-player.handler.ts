import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { SETTINGS, Settings } from '../../config/settings';
import { eventMetadata } from '../../common/event-metadata';
import { EventStore } from '../../event-store';
import { MovementData, toWirePosition } from '../../movement/position';
import { MotionStates } from '../../movement/record-movement/motion-states';
import { MovementBatcher } from '../../movement/record-movement/movement-batcher';
import { PlayerLifecycleEvent } from '../../players/player-lifecycle.events';
import { movementStreamId, playerStreamId } from '../../players/player-streams';
import { OnlinePlayers } from '../online-players';
import { PlayerJoined } from '../player-presence.events';
import { PlayerNumbers } from '../player-numbers';
import { SessionDirectory } from '../session-directory';
import { SocketServerRef } from '../socket-server.ref';
import { ConnectPlayer, Welcome } from './connect-player.command';

@CommandHandler(ConnectPlayer)
export class ConnectPlayerHandler implements ICommandHandler<ConnectPlayer> {
  constructor(
    private readonly store: EventStore,
    private readonly online: OnlinePlayers,
    private readonly motions: MotionStates,
    private readonly batcher: MovementBatcher,
    private readonly eventBus: EventBus,
    private readonly sessions: SessionDirectory,
    private readonly numbers: PlayerNumbers,
    private readonly io: SocketServerRef,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async execute({ player, sessionId, takeover }: ConnectPlayer): Promise<Welcome> {
    const n = await this.numbers.claim(player.id, sessionId);
    // On the socket at once, so other nodes list the player with it (SessionDirectory.others).
    const socket = this.io.server?.sockets.sockets.get(sessionId);
    if (socket) socket.data.n = n;
    this.online.register(player.id, player.username, sessionId, n);

    // The stream's last event is the position stored before the player logged out.
    const last = await this.store.lastEvent<MovementData>(movementStreamId(player.id));
    const position = last ? toWirePosition(last.data, new Date(last.recordedAt)) : null;
    this.batcher.prime(player.id, last?.streamVersion ?? 0);
    // recorded_at is the database's clock; the speed check runs on this node's. The
    // stored move is placed on this node's clock by its age, so a skew between the two
    // clocks cannot make the first move after a reconnect look slower or faster.
    const now = Date.now();
    this.motions.prime(player.id, last ? { ...last.data, at: now - last.ageMs } : null, now);
    if (position) this.online.setPosition(player.id, position);

    await this.store.appendToStream(playerStreamId(player.id), [
      {
        streamId: playerStreamId(player.id),
        type: PlayerLifecycleEvent.Connected,
        data: { sessionId, takeover },
        metadata: eventMetadata(sessionId),
      },
    ]);
    if (!takeover) this.eventBus.publish(new PlayerJoined(player.id, player.username, n, position, sessionId));
    const { world, areaOfInterestCellSize } = this.settings;
    return {
      self: { id: player.id, username: player.username, n },
      position,
      players: await this.sessions.others(player.id),
      world: { min: world.min, max: world.max, cellSize: areaOfInterestCellSize },
    };
  }
}
