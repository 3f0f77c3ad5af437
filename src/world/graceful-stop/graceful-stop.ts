import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { SocketServerRef } from '../socket-server.ref';

/** Client → server events that carry movements to record and answer. */
export const MOVEMENT_EVENTS = new Set(['position']);

/** Sent to every client of this node before it disconnects them on a stop. */
export const SERVER_SHUTDOWN = 'server:shutdown';

/** How long the stop waits for clients to close their connections once told to go. */
const CLIENTS_CLOSE_MS = 1_000;

const REFUSED = { code: 'unavailable', message: 'the server is shutting down; reconnect shortly and send it again' } as const;

type Ack = (answer: unknown) => void;

/**
 * The first step of a stop (SIGTERM, SIGINT), run before the application closes: no new
 * Socket.IO session starts, no new movement is taken (each is answered `unavailable`),
 * every movement already taken is answered once its batch has committed, and only then
 * does each client get `server:shutdown` and the disconnect. What was queued is written
 * by the batcher's own drain as the application closes.
 *
 * Movements are counted per packet by a Socket.IO middleware, in front of the gateway:
 * a movement's answer counts as given when the gateway calls its ack.
 */
@Injectable()
export class GracefulStop implements OnApplicationBootstrap {
  private readonly logger = new Logger(GracefulStop.name);
  private stopping = false;
  private unanswered = 0;
  private allAnswered: (() => void) | null = null;

  constructor(private readonly io: SocketServerRef) {}

  onApplicationBootstrap(): void {
    const server = this.io.server;
    // None in a CLI's application context, which serves no clients.
    if (!server) return;
    server.use((_socket, next) => {
      if (!this.stopping) return next();
      next(Object.assign(new Error('unavailable'), { data: { reason: 'shutdown' } }));
    });
    server.on('connection', (socket: Socket) => socket.use((packet, next) => this.onPacket(socket, packet, next)));
  }

  /** Resolves once every movement taken is answered and every client of this node is told and disconnected. */
  async stop(): Promise<void> {
    const server = this.io.server;
    if (this.stopping || !server) return;
    this.stopping = true;
    const clients = server.sockets.sockets.size;
    this.logger.log({ message: 'stopping: answering the movements taken, then disconnecting clients', clients, unanswered: this.unanswered });
    if (this.unanswered > 0) await new Promise<void>((resolve) => (this.allAnswered = resolve));
    // The last acks may be held for one write per client until the next tick
    // (OneWritePerClient); a disconnect in this turn would drop them and what follows.
    await nextTurn();
    // Local only: with the Redis adapter, io.emit and io.disconnectSockets reach every node.
    server.local.emit(SERVER_SHUTDOWN, { reason: 'shutdown' });
    await nextTurn();
    // The namespace's disconnect packet only (reason `io server disconnect` on the client,
    // which then closes its connection); closing the connection here could drop it.
    server.local.disconnectSockets(false);
    // Each client closes its connection on that packet; the application's close would cut
    // the ones still open, dropping what they have not been sent yet.
    const until = Date.now() + CLIENTS_CLOSE_MS;
    while (server.engine.clientsCount > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private onPacket(socket: Socket, packet: unknown[], next: (error?: Error) => void): void {
    if (!MOVEMENT_EVENTS.has(packet[0] as string)) return next();
    const last = packet[packet.length - 1];
    const ack = typeof last === 'function' ? (last as Ack) : null;
    if (this.stopping) {
      // Not passed on: the gateway never sees it, and nothing is recorded.
      if (ack) ack({ ok: false, error: REFUSED });
      else socket.emit('error', { ...REFUSED, seq: seqOf(packet[1]) });
      return;
    }
    if (ack) {
      this.unanswered++;
      let answered = false;
      packet[packet.length - 1] = (answer: unknown) => {
        if (!answered) {
          answered = true;
          this.unanswered--;
          if (this.unanswered === 0 && this.allAnswered) this.allAnswered();
        }
        ack(answer);
      };
    }
    next();
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function seqOf(payload: unknown): number | null {
  const seq = (payload as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
}
