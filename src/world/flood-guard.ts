import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { SETTINGS, Settings } from '../config/settings';
import { WaypointMetrics } from '../metrics/waypoint-metrics';

/**
 * Cuts off a connection that sends far more than its rate limit could ever accept
 * (FLOOD_MAX_MESSAGES_PER_SECOND over FLOOD_WINDOW_MS): it is told once, `error`
 * `{code: "flooding", message}`, and disconnected. Below the threshold nothing changes:
 * each `position` is answered, `rate_limited` when over the per-player bucket.
 *
 * Counted on the engine's packets, before Socket.IO decodes them into events and before
 * any command, so a flood of any event name (or of unknown ones) counts. The cost is a
 * counter increment per packet: the clock is read once per window's worth of packets, and
 * a connection is flooding when that many arrived sooner than the window. Once the
 * connection is closing, the engine drops whatever else arrives on it unread.
 *
 * A player cut off is refused at the handshake for FLOOD_COOLDOWN_MS: otherwise a
 * flooder that reconnects at once costs a session start, a window of answers and a
 * session end per cycle, and still slows everyone else.
 */
@Injectable()
export class FloodGuard {
  private readonly logger = new Logger(FloodGuard.name);
  /** Packets allowed within one window; null = off. */
  private readonly maxPerWindow: number | null;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  /** Players cut off, and until when (epoch ms) their new connections are refused. */
  private readonly cooling = new Map<string, number>();

  constructor(
    @Inject(SETTINGS) settings: Settings,
    private readonly metrics: WaypointMetrics,
  ) {
    const { maxMessagesPerSecond, windowMs, cooldownMs } = settings.flood;
    this.windowMs = windowMs;
    this.cooldownMs = cooldownMs;
    this.maxPerWindow = maxMessagesPerSecond === null ? null : Math.floor((maxMessagesPerSecond * windowMs) / 1000);
  }

  /** How long the player's new connections are still refused after a cut-off (ms; 0 = not). */
  coolingDown(playerId: string, now = Date.now()): number {
    const until = this.cooling.get(playerId);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.cooling.delete(playerId);
    return 0;
  }

  watch(socket: Socket): void {
    const max = this.maxPerWindow;
    if (max === null) return;
    const windowMs = this.windowMs;
    let windowStart = Date.now();
    let count = 0;
    const onPacket = (packet: { type: string }) => {
      if (packet.type !== 'message') return;
      if (++count <= max) return;
      const now = Date.now();
      if (now - windowStart >= windowMs) {
        windowStart = now;
        count = 1;
        return;
      }
      socket.conn.off('packet', onPacket);
      this.cutOff(socket, max);
    };
    socket.conn.on('packet', onPacket);
  }

  private cutOff(socket: Socket, max: number): void {
    const rate = Math.round((max * 1000) / this.windowMs);
    this.metrics.floodCutOff();
    const playerId: string | undefined = socket.data?.player?.id;
    if (playerId && this.cooldownMs > 0) this.cooling.set(playerId, Date.now() + this.cooldownMs);
    this.logger.warn({ message: 'connection cut off for flooding', playerId, sessionId: socket.id, messages: max + 1, windowMs: this.windowMs });
    socket.emit('error', {
      code: 'flooding',
      message: `more than ${max} messages within ${this.windowMs} ms (${rate} per second, far above the rate limit); disconnected. Reconnect${this.cooldownMs > 0 ? ` after ${this.cooldownMs} ms` : ''} and send at most the rate limit`,
    });
    // The error and the disconnect are written first; a client that does not read them
    // within a window is dropped without them.
    socket.disconnect(true);
    const conn = socket.conn;
    setTimeout(() => conn.close(true), this.windowMs).unref();
  }
}
