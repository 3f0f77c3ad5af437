import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { eventMetadata } from '../../common/event-metadata';
import { EventStore } from '../../event-store';
import { MovementData, toWirePosition } from '../../movement/position';
import { Movers } from '../../movement/movers';
import { ClientSessionProjection, resumeKey } from '../../movement/resume/client-session.projection';
import { PlayerLifecycleEvent } from '../../players/player-lifecycle.events';
import { movementStreamId, playerStreamId } from '../../players/player-streams';
import { OnlinePlayers } from '../online-players';
import { PlayerJoined } from '../player-presence.events';
import { SessionDirectory } from '../session-directory';
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
  ) {}

  async execute({ player, sessionId, takeover, clientSession }: ConnectPlayer): Promise<Welcome> {
    this.online.register(player.id, player.username, sessionId);

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
    if (!takeover) this.eventBus.publish(new PlayerJoined(player.id, player.username, position, sessionId));
    const welcome: Welcome = { self: { id: player.id, username: player.username }, position, players: await this.sessions.others(player.id) };
    if (clientSession) welcome.resume = { clientSession, lastSeq: mover.resume(clientSession).recorded };
    return welcome;
  }
}
