import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { SETTINGS, Settings } from '../../config/settings';
import { PlayerMoved } from '../../movement/player-moved.event';
import { OnlinePlayers } from '../online-players';
import { PlayerJoined, PlayerLeft } from '../player-presence.events';
import { SocketServerRef } from '../socket-server.ref';

/** One entry of `players:moved` (PROTOCOL.md). */
export interface MovedEntry {
  id: string;
  x: number;
  y: number;
  z: number;
  heading: number;
  seq: number | null;
  t: number;
}

/**
 * Tells every client what happened, after it was recorded. Movements are coalesced
 * to each player's latest and sent as one `players:moved` array per tick; Socket.IO
 * encodes a broadcast once for all clients.
 */
@Injectable()
@EventsHandler(PlayerMoved, PlayerJoined, PlayerLeft)
export class WorldBroadcaster implements IEventHandler<PlayerMoved | PlayerJoined | PlayerLeft>, OnModuleDestroy {
  private pending = new Map<string, MovedEntry>();
  private readonly ticker: NodeJS.Timeout | null;

  constructor(
    private readonly io: SocketServerRef,
    private readonly online: OnlinePlayers,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.ticker = settings.broadcastIntervalMs > 0 ? setInterval(() => this.tick(), settings.broadcastIntervalMs) : null;
    this.ticker?.unref();
  }

  handle(event: PlayerMoved | PlayerJoined | PlayerLeft): void {
    if (event instanceof PlayerMoved) return this.moved(event);
    if (event instanceof PlayerJoined) {
      this.io.server?.except(event.sessionId).emit('player:joined', { id: event.id, username: event.username, position: event.position });
      return;
    }
    this.pending.delete(event.id);
    this.io.server?.emit('player:left', { id: event.id });
  }

  private moved({ playerId, movement, recordedAt }: PlayerMoved): void {
    // A movement committed after its player left must not bring a ghost back.
    if (!this.online.get(playerId)) return;
    const { x, y, z, heading, seq } = movement;
    this.online.setPosition(playerId, { x, y, z, heading, at: new Date(recordedAt).toISOString() });
    const entry: MovedEntry = { id: playerId, x, y, z, heading, seq, t: recordedAt };
    if (this.ticker === null) {
      this.io.server?.emit('players:moved', [entry]);
      return;
    }
    this.pending.set(playerId, entry);
  }

  private tick(): void {
    if (this.pending.size === 0 || !this.io.server) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.io.server.emit('players:moved', batch);
  }

  onModuleDestroy(): void {
    if (this.ticker) clearInterval(this.ticker);
  }
}
