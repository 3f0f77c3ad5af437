import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { eventMetadata } from '../../common/event-metadata';
import { EventStore } from '../../event-store';
import { Movers } from '../../movement/movers';
import { PlayerLifecycleEvent } from '../../players/player-lifecycle.events';
import { playerStreamId } from '../../players/player-streams';
import { OnlinePlayers } from '../online-players';
import { PlayerLeft } from '../player-presence.events';
import { PlayerNumbers } from '../player-numbers';
import { DisconnectPlayer } from './disconnect-player.command';

@CommandHandler(DisconnectPlayer)
export class DisconnectPlayerHandler implements ICommandHandler<DisconnectPlayer> {
  constructor(
    private readonly store: EventStore,
    private readonly online: OnlinePlayers,
    private readonly movers: Movers,
    private readonly eventBus: EventBus,
    private readonly numbers: PlayerNumbers,
  ) {}

  async execute({ player, sessionId, reason }: DisconnectPlayer): Promise<void> {
    // A session closed by a takeover leaves the player online in the newer session.
    const wentOffline = this.online.release(player.id, sessionId);
    this.movers.leave(player.id, sessionId);
    if (wentOffline) {
      this.eventBus.publish(new PlayerLeft(player.id));
      await this.numbers.release(player.id, sessionId);
    }
    await this.store.appendToStream(playerStreamId(player.id), [
      {
        streamId: playerStreamId(player.id),
        type: PlayerLifecycleEvent.Disconnected,
        data: { sessionId, reason: wentOffline ? reason : 'replaced' },
        metadata: eventMetadata(sessionId),
      },
    ]);
  }
}
