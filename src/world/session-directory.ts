import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { RedisAdapter } from '@socket.io/redis-adapter';
import type { RemoteSocket, Server, Socket } from 'socket.io';
import { AuthenticatedPlayer } from '../auth/authenticated-player';
import { SETTINGS, Settings } from '../config/settings';
import { WirePosition } from '../movement/position';
import { OnlineEntry, OnlinePlayers } from './online-players';
import { SocketServerRef } from './socket-server.ref';

/** Sent between nodes (Redis adapter): "player P now has session S; end your older one". */
const TAKEOVER = 'waypoint:takeover';

/**
 * How the Redis adapter's fetchSockets fails when some node did not answer within its
 * requestsTimeout (CLUSTER_REQUEST_TIMEOUT_MS): "timeout reached while waiting for
 * fetchSockets response". Matched by its wording; the cluster test catches a change.
 */
const NODE_DID_NOT_ANSWER = /timeout reached/;

/**
 * Beyond CLUSTER_REQUEST_TIMEOUT_MS, how long a question to the other nodes may take in
 * all. The adapter's timer runs only once the question is published; counting the nodes
 * before that (PUBSUB NUMSUB) waits on this node's own link to Redis, which, half-open,
 * would hold a connect with neither `welcome` nor `error` for as long as the OS keeps it.
 */
const OWN_LINK_MARGIN_MS = 1_000;

export interface SessionData {
  player: AuthenticatedPlayer;
  /** Latest recorded position, kept on the socket so other nodes can list it (cluster mode). */
  position?: WirePosition | null;
  /** The player's number (PlayerNumbers), so other nodes can list it in `welcome`. */
  n?: number;
  /** `auth.format` of the handshake. */
  format?: WireFormat;
  /** The handshake's auth.clientSession (a resumable session), or null. */
  clientSession?: string | null;
}

/** How `players:moved` is sent to a client: v1 JSON arrays, or one packed binary frame. */
export type WireFormat = 'json' | 'packed';

export const playerRoom = (playerId: string): string => `player:${playerId}`;


/**
 * One live session per player, on one node or many. Socket.IO's adapter is the
 * directory: every session joins its player's room, and with the Redis adapter a
 * lookup of that room asks every live node, so a crashed node leaves nothing stale.
 * The node that owns an older session ends it itself, so it knows the close is a
 * takeover and announces no `player:left`.
 */
@Injectable()
export class SessionDirectory {
  private readonly logger = new Logger(SessionDirectory.name);
  readonly clustered: boolean;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly io: SocketServerRef,
    private readonly online: OnlinePlayers,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.clustered = settings.redisUrl !== null;
    this.requestTimeoutMs = settings.clusterRequestTimeoutMs;
  }

  /** Called once the server exists: listen for takeovers announced by other nodes. */
  listen(server: Server): void {
    if (!this.clustered) return;
    server.on(TAKEOVER, (playerId: string, sessionId: string) => this.endOlderLocalSessions(playerId, sessionId));
  }

  /** Makes `socket` its player's only session; true when it took over an older one (anywhere). */
  async claim(socket: Socket, player: AuthenticatedPlayer): Promise<boolean> {
    const server = this.server();
    const room = playerRoom(player.id);
    const older = (await this.askEveryNode(() => server.in(room).fetchSockets())).filter((s) => s.id !== socket.id);
    socket.join(room);
    if (older.length === 0) return false;
    this.endOlderLocalSessions(player.id, socket.id);
    if (this.clustered) server.serverSideEmit(TAKEOVER, player.id, socket.id);
    return true;
  }

  /** Everyone online except `playerId`, across all nodes in cluster mode. */
  async others(playerId: string): Promise<OnlineEntry[]> {
    if (!this.clustered) return this.online.others(playerId);
    return [...(await this.everyNode()).values()].filter((p) => p.id !== playerId);
  }

  /** The ids of the players online now, across all nodes in cluster mode. */
  async onlineIds(): Promise<Set<string>> {
    if (!this.clustered) return new Set(this.online.ids());
    return new Set((await this.everyNode()).keys());
  }

  /** Every node's players by id, from their sessions' data (the adapter asks each live node). */
  private async everyNode(): Promise<Map<string, OnlineEntry>> {
    const sockets: RemoteSocket<never, SessionData>[] = await this.askEveryNode(() => this.server().fetchSockets());
    const seen = new Map<string, OnlineEntry>();
    for (const s of sockets) {
      const p = s.data.player;
      if (p && s.data.n !== undefined) seen.set(p.id, { id: p.id, username: p.username, n: s.data.n, position: s.data.position ?? null });
    }
    return seen;
  }

  /**
   * A question every node must answer (the adapter's fetchSockets). When Redis is away, or
   * a node subscribed to it does not answer within CLUSTER_REQUEST_TIMEOUT_MS, this node
   * cannot tell who is online on the others: a 503 for the REST list; a connect, which must
   * check one session per player and lists the others in `welcome`, is refused as
   * `unavailable`. The message says which of the two it was: a node that did not answer
   * only while this node's own link to Redis is up (with it down, or back but not yet
   * subscribed again, no answer could have arrived).
   */
  private async askEveryNode<Answer>(ask: () => Promise<Answer>): Promise<Answer> {
    if (!this.clustered) return ask(); // one node: answered from memory, nothing to wait for
    let deadline: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        ask(),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(() => reject(new Error('Redis did not answer this node')), this.requestTimeoutMs + OWN_LINK_MARGIN_MS);
        }),
      ]);
    } catch (error) {
      const silentNode = NODE_DID_NOT_ANSWER.test(String(error)) && this.ownLinkUp();
      this.logger.warn({ message: 'could not ask the other nodes who is online', cause: silentNode ? 'a node did not answer' : 'Redis', error: String(error) });
      throw new ServiceUnavailableException(
        silentNode
          ? `who is online on the other nodes cannot be read: a node did not answer within ${this.requestTimeoutMs} ms (CLUSTER_REQUEST_TIMEOUT_MS); retry shortly`
          : 'who is online on the other nodes cannot be read while Redis does not answer; retry shortly',
      );
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Both of the Redis adapter's clients connected and ready. */
  private ownLinkUp(): boolean {
    const { pubClient, subClient } = this.server().of('/').adapter as unknown as RedisAdapter;
    return pubClient?.status === 'ready' && subClient?.status === 'ready';
  }

  private endOlderLocalSessions(playerId: string, newSessionId: string): void {
    const server = this.server();
    const local = server.sockets.adapter.rooms.get(playerRoom(playerId));
    for (const id of [...(local ?? [])]) {
      if (id === newSessionId) continue;
      const socket = server.sockets.sockets.get(id);
      if (!socket) continue;
      this.online.handOver(playerId, id);
      socket.emit('session:replaced', { reason: 'replaced' });
      socket.disconnect(true);
      this.logger.log({ message: 'session replaced', playerId, sessionId: id, by: newSessionId });
    }
  }

  private server(): Server {
    if (!this.io.server) throw new Error('Socket.IO server not ready');
    return this.io.server;
  }
}
