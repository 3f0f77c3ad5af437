import type { Server } from 'socket.io';
import { EngineConnection, engineConnectionOf } from './engine-connection';

/**
 * When a batch of movements is committed, each client is sent the acks of its own
 * movements and then the `players:moved` broadcast, in the same turn of the event loop.
 * engine.io writes a client's first packet at once and queues the rest until that write
 * completes, so each client cost two socket writes, and a CPU profile at 350x20 found
 * writev at a third of the server's time (on loopback a write also delivers the data;
 * docs/performance.md, "One socket write per client per batch").
 *
 * `hold` makes this node's WebSocket clients queue what they are sent for the rest of the
 * turn; on the next tick each client's queue goes out as one write (the TCP socket corked
 * around it). A client with a write in flight, or on long-polling, is left alone: it
 * already queues, and its packets follow its transport's own pace.
 */
export class OneWritePerClient {
  private held: EngineConnection[] | null = null;

  hold(server: Server): void {
    if (this.held) return;
    const held: EngineConnection[] = [];
    for (const socket of server.sockets.sockets.values()) {
      const connection = engineConnectionOf(socket);
      const transport = connection.transport;
      // (Anything missing, as after a library change, means plain writes, not a failure.)
      if (transport?.name !== 'websocket' || transport.writable !== true || typeof connection.flush !== 'function') continue;
      transport.writable = false;
      held.push(connection);
    }
    this.held = held;
    // Called from a promise callback (the one after a commit): a tick queued now runs once
    // the promise callbacks queued behind it, the acks, are done, and before any I/O.
    process.nextTick(() => this.release());
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const connection of held) {
      const transport = connection.transport;
      transport.writable = true;
      if (connection.readyState === 'closed') continue;
      const tcp = transport.socket?._socket;
      tcp?.cork();
      connection.flush();
      tcp?.uncork();
    }
  }
}
