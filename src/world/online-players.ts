import { Injectable } from '@nestjs/common';
import { WaypointMetrics } from '../metrics/waypoint-metrics';
import { WirePosition } from '../movement/position';

export interface OnlinePlayer {
  id: string;
  username: string;
  /** The Socket.IO id of the player's one live session. */
  sessionId: string;
  /** The player's number in the compact wire mode (PlayerNumbers). */
  n: number;
  position: WirePosition | null;
}

/** Another player online, as `welcome.players` lists them. */
export interface OnlineEntry {
  id: string;
  username: string;
  n: number;
  position: WirePosition | null;
}

/** Who is online on this node, one session per player. */
@Injectable()
export class OnlinePlayers {
  private readonly players = new Map<string, OnlinePlayer>();

  constructor(metrics: WaypointMetrics) {
    metrics.watch('playersOnline', () => this.players.size);
  }

  /** Makes `sessionId` the player's session on this node (older ones were handed over first). */
  register(id: string, username: string, sessionId: string, n: number): void {
    const current = this.players.get(id);
    this.players.set(id, { id, username, sessionId, n, position: current?.position ?? null });
  }

  /** The session was taken over: forget it here so its close is not taken for the player leaving. */
  handOver(id: string, sessionId: string): void {
    if (this.players.get(id)?.sessionId === sessionId) this.players.delete(id);
  }

  /** Ends the player's presence if `sessionId` is still theirs; false when it was taken over. */
  release(id: string, sessionId: string): boolean {
    if (this.players.get(id)?.sessionId !== sessionId) return false;
    this.players.delete(id);
    return true;
  }

  /** The ids of the players online on this node. */
  ids(): IterableIterator<string> {
    return this.players.keys();
  }

  get(id: string): OnlinePlayer | undefined {
    return this.players.get(id);
  }

  setPosition(id: string, position: WirePosition): void {
    const player = this.players.get(id);
    if (player) player.position = position;
  }

  /** Everyone online except `id`, as the welcome lists them. */
  others(id: string): OnlineEntry[] {
    const list = [];
    for (const p of this.players.values()) {
      if (p.id !== id) list.push({ id: p.id, username: p.username, n: p.n, position: p.position });
    }
    return list;
  }
}
