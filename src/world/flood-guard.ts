import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { Settings } from '../config/settings';

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
 */
export class FloodGuard {
  private readonly logger = new Logger(FloodGuard.name);
  /** Packets allowed within one window; null = off. */
  private readonly maxPerWindow: number | null;
  private readonly windowMs: number;

  constructor(
    settings: Settings,
    private readonly onCutOff: () => void = () => undefined,
  ) {
    const { maxMessagesPerSecond, windowMs } = settings.flood;
    this.windowMs = windowMs;
    this.maxPerWindow = maxMessagesPerSecond === null ? null : Math.floor((maxMessagesPerSecond * windowMs) / 1000);
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
    this.onCutOff();
    this.logger.warn({ message: 'connection cut off for flooding', playerId: socket.data?.player?.id, sessionId: socket.id, messages: max + 1, windowMs: this.windowMs });
    socket.emit('error', {
      code: 'flooding',
      message: `more than ${max} messages within ${this.windowMs} ms (${rate} per second, far above the rate limit); disconnected. Reconnect and send at most the rate limit`,
    });
    // The error and the disconnect are written first; a client that does not read them
    // within a window is dropped without them.
    socket.disconnect(true);
    const conn = socket.conn;
    setTimeout(() => conn.close(true), this.windowMs).unref();
  }
}
