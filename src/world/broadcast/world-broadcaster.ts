import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { SETTINGS, Settings } from '../../config/settings';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';
import { PlayerMoved, PlayersMoved } from '../../movement/player-moved.event';
import { WirePosition } from '../../movement/position';
import { OnlinePlayers } from '../online-players';
import { PlayerJoined, PlayerLeft } from '../player-presence.events';
import { SocketServerRef } from '../socket-server.ref';
import { encodePackedFrame, PackedEntry } from '../../client/packed-frame.mjs';
import { CellKey, cellOf, cellRoom, packedCellRoom, planAreaBroadcast } from './area-of-interest';
import { BroadcastTicks } from './broadcast-ticks';
import { OneWritePerClient } from './one-write-per-client';
import { SlowClientBacklog } from './slow-client-backlog';
import { PACKED_ROOM } from './wire-format';

/** One entry of `players:moved` (docs/protocol.md). */
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
 * Tells clients what happened, after it was recorded. Movements are coalesced to each
 * player's latest and sent as one `players:moved` array at most per tick (BroadcastTicks),
 * encoded once by Socket.IO for all its receivers (or once per grid cell with area of
 * interest on). Clients in the compact wire mode get the same entries as one packed
 * binary frame, encoded once per tick (or per cell) for all of them.
 * Slow clients are left out of broadcasts and get a coalesced backlog instead.
 */
@Injectable()
@EventsHandler(PlayersMoved, PlayerJoined, PlayerLeft)
export class WorldBroadcaster implements IEventHandler<PlayersMoved | PlayerJoined | PlayerLeft>, OnModuleDestroy {
  private pending = new Map<string, MovedEntry>();
  private readonly intervalMs: number;
  /** Which ticks have had their `players:moved` (null: BROADCAST_INTERVAL_MS=0, no ticks). */
  private readonly ticks: BroadcastTicks | null;
  /** The timer of the next `players:moved` when its tick has not begun yet. */
  private timer: NodeJS.Timeout | null = null;
  private readonly cellSize: number | null;
  private readonly backlog: SlowClientBacklog;
  /** The area-of-interest cell each local session is subscribed to. */
  private readonly sessionCells = new Map<string, CellKey>();
  private readonly clustered: boolean;
  private readonly writes = new OneWritePerClient();
  /** When each batch whose movements are pending was committed (epoch ms), for the broadcast delay. */
  private committedAt: number[] = [];

  constructor(
    private readonly io: SocketServerRef,
    private readonly online: OnlinePlayers,
    @Inject(SETTINGS) settings: Settings,
    private readonly metrics: WaypointMetrics,
  ) {
    this.cellSize = settings.areaOfInterestCellSize;
    this.clustered = settings.redisUrl !== null;
    this.backlog = new SlowClientBacklog(settings.slowClientMaxQueuedPackets, (entries) => this.packedFrame(entries));
    this.intervalMs = settings.broadcastIntervalMs;
    this.ticks = this.intervalMs > 0 ? new BroadcastTicks(this.intervalMs) : null;
    metrics.watch('slowClients', () => this.backlog.size);
  }

  handle(event: PlayersMoved | PlayerJoined | PlayerLeft): void {
    if (event instanceof PlayersMoved) {
      // The batch's acks follow in this turn's promise callbacks: with the broadcast,
      // one write per client.
      if (this.io.server) this.writes.hold(this.io.server);
      // Published right after its commit.
      this.committedAt.push(Date.now());
      for (const move of event.moves) {
        this.moved(move);
        // BROADCAST_INTERVAL_MS=0: one emit per movement, at once (docs/protocol.md).
        if (this.intervalMs === 0) this.flush();
      }
      if (this.intervalMs > 0) this.flushWhenDue();
      return;
    }
    const server = this.io.server;
    if (event instanceof PlayerJoined) {
      server?.except(event.sessionId).emit('player:joined', { id: event.id, username: event.username, n: event.n, position: event.position });
      return;
    }
    this.pending.delete(event.id);
    this.backlog.forgetPlayer(event.id);
    server?.emit('player:left', { id: event.id });
  }

  /** A session started (new or takeover): subscribe it to its area of interest. */
  attach(sessionId: string, position: WirePosition | null): void {
    if (this.cellSize !== null) this.moveSession(sessionId, position?.x ?? 0, position?.y ?? 0);
  }

  detach(sessionId: string): void {
    this.sessionCells.delete(sessionId);
    this.backlog.forgetSocket(sessionId);
  }

  private moved({ playerId, movement, recordedAt }: PlayerMoved): void {
    // A movement committed after its player left must not bring a ghost back.
    const player = this.online.get(playerId);
    if (!player) return;
    const { x, y, z, heading, seq } = movement;
    player.position = { x, y, z, heading, at: new Date(recordedAt).toISOString() };
    if (this.clustered) {
      // Other nodes list this player from the socket's data (SessionDirectory.others).
      const socket = this.io.server?.sockets.sockets.get(player.sessionId);
      if (socket) socket.data.position = player.position;
    }
    if (this.cellSize !== null) this.moveSession(player.sessionId, x, y);
    this.pending.set(playerId, { id: playerId, x, y, z, heading, seq, t: recordedAt });
  }

  /**
   * At most one `players:moved` per tick, sent as soon as it may be: a committed batch
   * whose tick has had no broadcast goes out at once rather than at a tick of a timer of
   * its own (which made every movement wait for that timer as well as for its commit).
   */
  private flushWhenDue(): void {
    if (this.timer || this.pending.size === 0) return;
    const wait = this.ticks!.wait(Date.now());
    if (wait <= 0) return this.flush();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
    this.timer.unref();
  }

  /** Sends what is pending (per movement when the interval is 0). */
  private flush(): void {
    if (this.pending.size === 0) {
      this.committedAt.length = 0;
      return;
    }
    const began = performance.now();
    this.ticks?.sent(Date.now());
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.broadcast(batch);
    this.metrics.broadcastEmitted((performance.now() - began) / 1000, this.committedAt);
    this.committedAt.length = 0;
  }

  private broadcast(entries: MovedEntry[]): void {
    const server = this.io.server;
    if (!server) return;
    const slow = this.backlog.slowSocketIds(server);
    if (this.cellSize === null) {
      const packed = this.hasMembers(PACKED_ROOM);
      const json = packed ? server.except(PACKED_ROOM) : server;
      (slow.length ? json.except(slow) : json).emit('players:moved', entries);
      if (packed) {
        const target = server.to(PACKED_ROOM);
        (slow.length ? target.except(slow) : target).emit('players:moved', this.packedFrame(entries));
      }
      if (slow.length) this.backlog.hold(server, slow, entries);
      return;
    }
    for (const [cell, cellEntries] of planAreaBroadcast(entries, this.cellSize)) {
      for (const room of [cellRoom(cell), packedCellRoom(cell)]) {
        if (!this.hasMembers(room)) continue;
        const target = server.to(room);
        const payload = room === cellRoom(cell) ? cellEntries : this.packedFrame(cellEntries);
        (slow.length ? target.except(slow) : target).emit('players:moved', payload);
        const members = server.sockets.adapter.rooms.get(room);
        const slowHere = members ? slow.filter((id) => members.has(id)) : [];
        if (slowHere.length) this.backlog.hold(server, slowHere, cellEntries);
      }
    }
  }

  /** Whether a room may have members: this node's are known; in a cluster other nodes may have some. */
  private hasMembers(room: string): boolean {
    if (this.clustered) return true;
    return (this.io.server?.sockets.adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  /** The entries as one packed frame, players named by their number; players gone meanwhile are left out. */
  private packedFrame(entries: readonly MovedEntry[]): Buffer {
    const packed: PackedEntry[] = [];
    for (const { id, x, y, z, heading, seq, t } of entries) {
      const n = this.online.get(id)?.n;
      if (n !== undefined) packed.push({ n, x, y, z, heading, seq, t });
    }
    const frame = encodePackedFrame(packed);
    return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  }

  private moveSession(sessionId: string, x: number, y: number): void {
    const cell = cellOf(x, y, this.cellSize!);
    const current = this.sessionCells.get(sessionId);
    if (current === cell) return;
    const socket = this.io.server?.sockets.sockets.get(sessionId);
    if (!socket) return;
    const room = socket.data.format === 'packed' ? packedCellRoom : cellRoom;
    if (current) void socket.leave(room(current));
    void socket.join(room(cell));
    this.sessionCells.set(sessionId, cell);
  }

  onModuleDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
