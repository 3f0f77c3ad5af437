import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';

/** The Socket.IO server, handed over by the gateway once it exists, for the event handlers that broadcast. */
@Injectable()
export class SocketServerRef {
  server: Server | null = null;
}
