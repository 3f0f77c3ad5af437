import type { Socket as TcpSocket } from 'node:net';
import type { Socket } from 'socket.io';

/**
 * The parts of engine.io's connection (a Socket.IO socket's `conn`) and of its WebSocket
 * transport that the broadcast helpers rely on. Socket.IO does not type them; naming them
 * in one place shows what an engine.io upgrade must keep.
 */
export interface EngineConnection {
  readyState: string;
  /** Packets engine.io holds for this client that the transport has not taken yet. */
  writeBuffer: unknown[];
  transport: {
    name: string;
    /** false while a write is in flight: engine.io queues packets until it completes. */
    writable: boolean;
    /** The ws WebSocket, and its TCP socket, on the WebSocket transport. */
    socket?: { _socket?: TcpSocket };
  };
  /** Hands the queued packets to the transport when it is writable. */
  flush(): void;
}

export const engineConnectionOf = (socket: Socket): EngineConnection => socket.conn as unknown as EngineConnection;
