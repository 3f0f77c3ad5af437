import type { Server, Socket } from 'socket.io';
import { engineConnectionOf } from './engine-connection';
import type { MovedEntry } from './world-broadcaster';

/**
 * Keeps a slow client from growing server memory without bound. A broadcast is encoded
 * once and queued to every client; a client that does not read would pin every tick's
 * payload. Once a client has more than `maxQueued` packets waiting, it is left out of
 * broadcasts and keeps only the latest entry per player here; when its connection
 * drains it gets them in one `players:moved`. Older unsent positions are dropped.
 */
export class SlowClientBacklog {
  private readonly backlogs = new Map<string, Map<string, MovedEntry>>();

  constructor(
    private readonly maxQueued: number,
    /** The entries as one packed frame, for clients in the compact wire mode. */
    private readonly pack: (entries: MovedEntry[]) => Buffer,
  ) {}

  /** Local sockets too far behind to be sent this tick's broadcast. */
  slowSocketIds(server: Server): string[] {
    const slow: string[] = [];
    for (const [id, socket] of server.sockets.sockets) {
      if (this.backlogs.has(id) || queuedPackets(socket) > this.maxQueued) slow.push(id);
    }
    return slow;
  }

  /** Keeps the latest of `entries` for each slow socket, and arms one send for when it drains. */
  hold(server: Server, socketIds: string[], entries: MovedEntry[]): void {
    for (const id of socketIds) {
      const socket = server.sockets.sockets.get(id);
      if (!socket) continue;
      let backlog = this.backlogs.get(id);
      if (!backlog) {
        backlog = new Map();
        this.backlogs.set(id, backlog);
        this.sendOnDrain(socket);
      }
      for (const e of entries) backlog.set(e.id, e);
    }
  }

  /** A player left: nobody should receive their stale position afterwards. */
  forgetPlayer(playerId: string): void {
    for (const backlog of this.backlogs.values()) backlog.delete(playerId);
  }

  forgetSocket(socketId: string): void {
    this.backlogs.delete(socketId);
  }

  get size(): number {
    return this.backlogs.size;
  }

  private sendOnDrain(socket: Socket): void {
    socket.conn.once('drain', () => {
      const backlog = this.backlogs.get(socket.id);
      if (!backlog || !socket.connected) return this.forgetSocket(socket.id);
      if (queuedPackets(socket) > this.maxQueued / 2) return this.sendOnDrain(socket);
      this.backlogs.delete(socket.id);
      if (backlog.size === 0) return;
      const entries = [...backlog.values()];
      socket.emit('players:moved', socket.data.format === 'packed' ? this.pack(entries) : entries);
    });
  }
}

function queuedPackets(socket: Socket): number {
  return engineConnectionOf(socket).writeBuffer.length;
}
