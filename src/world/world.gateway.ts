import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { AccessTokens } from '../auth/access-tokens';
import { AuthService } from '../auth/auth.service';
import { WaypointMetrics } from '../metrics/waypoint-metrics';
import { RecordMovement, RecordMovementResult } from '../movement/record-movement/record-movement.command';
import { SeveralArguments } from '../movement/record-movement/movement-rules';
import { ConnectPlayer } from './connect-player/connect-player.command';
import { DisconnectPlayer } from './disconnect-player/disconnect-player.command';
import { SessionData, SessionDirectory } from './session-directory';
import { SocketServerRef } from './socket-server.ref';
import { WorldBroadcaster } from './broadcast/world-broadcaster';
import { FloodGuard } from './flood-guard';
import { acceptWireFormat } from './broadcast/wire-format';

type PlayerSocket = Socket & { data: SessionData };
type Ack = (response: unknown) => void;

/**
 * The Socket.IO edge: authenticates the handshake, turns connects, disconnects and
 * `position` messages into commands, and maps their outcome to the wire.
 */
@WebSocketGateway({ transports: ['polling', 'websocket'] })
export class WorldGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationShutdown {
  private readonly logger = new Logger(WorldGateway.name);
  /** Disconnects still being recorded; shutdown waits for them before the database closes. */
  private readonly recordingDisconnects = new Set<Promise<unknown>>();

  constructor(
    private readonly commands: CommandBus,
    private readonly tokens: AccessTokens,
    private readonly accounts: AuthService,
    private readonly ref: SocketServerRef,
    private readonly broadcaster: WorldBroadcaster,
    private readonly sessions: SessionDirectory,
    private readonly floods: FloodGuard,
    private readonly metrics: WaypointMetrics,
  ) {}

  afterInit(server: Server): void {
    this.ref.server = server;
    this.sessions.listen(server);
    server.on('connection', (socket) => this.floods.watch(socket));
    // In the handshake, not a guard: guards run per message, so a bad token would still connect.
    server.use((socket, next) => {
      const token =
        (socket.handshake.auth as { token?: unknown } | undefined)?.token ??
        AccessTokens.fromAuthorizationHeader(socket.handshake.headers.authorization);
      const player = this.tokens.verify(token as string);
      if (!player) return next(new Error('unauthorized'));
      const cooling = this.floods.coolingDown(player.id);
      if (cooling > 0) return next(Object.assign(new Error('flooding'), { data: { retryAfterMs: cooling } }));
      const format = acceptWireFormat(socket);
      if (!format) return next(new Error('invalid_format'));
      const clientSession = (socket.handshake.auth as { clientSession?: unknown } | undefined)?.clientSession;
      if (clientSession !== undefined && clientSession !== null && !isClientSession(clientSession)) {
        return next(new Error('invalid_client_session'));
      }
      socket.data.player = player;
      socket.data.clientSession = clientSession ?? null;
      this.accounts.account(player.id).then(
        (account) => next(account ? undefined : new Error('unauthorized')),
        // The database does not answer: let the connection through, to be refused the
        // documented way (`error` unavailable) when the session cannot start.
        () => next(),
      );
    });
  }

  async handleConnection(socket: PlayerSocket): Promise<void> {
    const { player } = socket.data;
    // The hot path is bound directly rather than with @SubscribeMessage: the profile showed
    // Nest's per-message RxJS pipeline and global pipes costing more than the rules themselves
    // (docs/performance.md, "The position handler bound directly"). Bound before any await
    // so no early position is missed.
    socket.on('position', (...args: unknown[]) => {
      // Socket.IO passes the ack, when there is one, as the last argument.
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
      // `emit('position', pos, maybeAck)` with no ack sends a trailing null: not an argument.
      while (args.length > 1 && (args[args.length - 1] === null || args[args.length - 1] === undefined)) args.pop();
      void this.onPosition(socket, args.length > 1 ? new SeveralArguments(args.length) : args[0], ack);
    });
    try {
      const takeover = await this.sessions.claim(socket, player);
      const welcome = await this.commands.execute(new ConnectPlayer(player, socket.id, takeover, socket.data.clientSession));
      socket.data.position = welcome.position;
      socket.emit('welcome', welcome);
      this.broadcaster.attach(socket.id, welcome.position);
      this.logger.log({ message: 'player connected', playerId: player.id, sessionId: socket.id, takeover });
    } catch (error) {
      this.logger.error({ message: 'connect failed', playerId: player.id, error: String(error) });
      socket.emit('error', { code: 'unavailable', message: 'the server could not start your session; reconnect shortly' });
      socket.disconnect(true);
    }
  }

  async handleDisconnect(socket: PlayerSocket): Promise<void> {
    const { player } = socket.data;
    if (!player) return;
    this.broadcaster.detach(socket.id);
    const recording = this.commands.execute(new DisconnectPlayer(player, socket.id, 'disconnected')).then(
      () => this.logger.log({ message: 'player disconnected', playerId: player.id, sessionId: socket.id }),
      (error) => this.logger.error({ message: 'recording a disconnect failed', playerId: player.id, error: String(error) }),
    );
    this.recordingDisconnects.add(recording);
    await recording;
    this.recordingDisconnects.delete(recording);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.recordingDisconnects);
  }

  private async onPosition(socket: PlayerSocket, payload: unknown, ack: Ack | undefined): Promise<void> {
    let outcome: RecordMovementResult;
    const receivedAt = Date.now();
    try {
      outcome = await this.commands.execute(new RecordMovement(socket.data.player, socket.id, payload, receivedAt, socket.data.clientSession));
    } catch (error) {
      this.logger.error({ message: 'position failed', error: String(error) });
      outcome = { ok: false, error: { code: 'unavailable', message: 'the movement was not recorded; send it again' }, seq: null };
    }
    if (ack) {
      ack(outcome.ok ? outcome : { ok: false, error: outcome.error });
    } else if (!outcome.ok) {
      socket.emit('error', { ...outcome.error, seq: outcome.seq });
    }
    this.metrics.positionAnswered(outcome, receivedAt);
  }
}

/** auth.clientSession: 1 to 64 of A-Z, a-z, 0-9, _ and -. */
function isClientSession(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
}
