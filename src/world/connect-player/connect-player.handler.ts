import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { SETTINGS, Settings } from '../../config/settings';
import { eventMetadata } from '../../common/event-metadata';
import { EventStore } from '../../event-store';
import { MovementData, toWirePosition } from '../../movement/position';
import { Movers } from '../../movement/movers';
import { ClientSessionProjection, resumeKey } from '../../movement/resume/client-session.projection';
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
    private readonly movers: Movers,
    private readonly clientSessions: ClientSessionProjection,
    private readonly eventBus: EventBus,
    private readonly sessions: SessionDirectory,
    private readonly numbers: PlayerNumbers,
    private readonly io: SocketServerRef,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async execute({ player, sessionId, takeover, clientSession }: ConnectPlayer): Promise<Welcome> {
    const claimed = this.numbers.claim(player.id, sessionId);
    const n = typeof claimed === 'number' ? claimed : await claimed;
    // On the socket at once, so other nodes list the player with it (SessionDirectory.others).
    const socket = this.io.server?.sockets.sockets.get(sessionId);
    if (socket) socket.data.n = n;
    this.online.register(player.id, player.username, sessionId, n);

    // The stream's last event is the position stored before the player logged out. Read
    // before the resumable session's last seq: a commit in between then shows as a version
    // clash at the next append, never as a resend recorded twice.
    const last = await this.store.lastEvent<MovementData>(movementStreamId(player.id));
    const position = last ? toWirePosition(last.data, new Date(last.recordedAt)) : null;
    const lastSeq = clientSession
      ? ((await this.clientSessions.lastSeqs([{ playerId: player.id, clientSession }])).get(resumeKey(player.id, clientSession)) ?? null)
      : null;
    // recorded_at is the database's clock; the speed check runs on this node's. The
    // stored move is placed on this node's clock by its age, so a skew between the two
    // clocks cannot make the first move after a reconnect look slower or faster.
    const now = Date.now();
    const mover = this.movers.join(
      player.id,
      sessionId,
      {
        version: last?.streamVersion ?? 0,
        last: last ? { x: last.data.x, y: last.data.y, z: last.data.z, at: now - last.ageMs } : null,
        resume: clientSession ? { clientSession, lastSeq } : undefined,
      },
      now,
    );
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
    const welcome: Welcome = {
      self: { id: player.id, username: player.username, n },
      position,
      players: await this.sessions.others(player.id),
      world: { min: world.min, max: world.max, cellSize: areaOfInterestCellSize },
    };
    if (clientSession) welcome.resume = { clientSession, lastSeq: mover.resume(clientSession).recorded };
    return welcome;
  }
}
