import { createHash, randomBytes } from 'node:crypto';
import { connect, Socket } from 'node:net';

/** What a lean client received without decoding it. */
export interface BroadcastCounter {
  frames: number;
  /** Payload bytes of the skipped frames. */
  chars: number;
}

/**
 * A simulated player speaking Socket.IO v5 over Engine.IO v4 over WebSocket, written by
 * hand on a bare TCP socket. Hand-written because it is the benchmark's measured hot
 * path: at 800 players x 20 Hz each player receives 20 broadcasts of ~70 KB a second
 * (over 1 GB/s for the generator), and with the `ws` library or socket.io-client the
 * generator, not the server, was the limit. Here:
 * - every socket of a thread reads into one reused buffer (`onread`), so a read
 *   allocates nothing;
 * - a broadcast frame is recognised by its first bytes and the rest of it is skipped
 *   where it lies: never copied, never turned into a string, never parsed;
 * - only small frames (acks, `welcome`, `error`, pings) are collected and decoded,
 *   and observers (`decodeBroadcasts`) also collect `players:moved`.
 *
 * Frames: "0{open}" → send "40{auth}" → "40{sid}" connected (or "44{error}");
 * "2" ping → "3" pong; "42[event, data]"; emit with ack "42<id>[...]" → "43<id>[...]".
 */

const BROADCASTS = ['42["players:moved"', '42["player:joined"', '42["player:left"'].map((p) => Buffer.from(p));
const MOVED = BROADCASTS[0];
const PREFIX = Math.max(...BROADCASTS.map((p) => p.length));
const EMPTY = Buffer.alloc(0);
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * One read buffer for every socket of this thread: a read callback runs to completion
 * before the next read, and whatever outlives it is copied out first.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const enum Mode {
  Handshake,
  Header,
  Prefix,
  Skip,
  Collect,
}

export interface LeanOptions {
  /** Observers: hand every `players:moved` frame to onMoved instead of skipping it. */
  decodeBroadcasts?: boolean;
  timeoutMs?: number;
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export class LeanClient {
  connected = false;
  /** An ack: its id and the JSON array after it, e.g. `[{"ok":true,"seq":7}]`. */
  onAck: (id: number, args: string) => void = () => undefined;
  /** Observers: a `players:moved` packet as received (`42["players:moved",[...]]`), and when its last byte arrived. */
  onMoved: (packet: string, receivedAt: number) => void = () => undefined;
  onDisconnect: (reason: string) => void = () => undefined;
  onError: (payload: unknown) => void = () => undefined;

  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private closing = false;
  private settle: (error: Error | null) => void = () => undefined;

  private mode = Mode.Handshake;
  private handshake = '';
  private readonly header = Buffer.alloc(14);
  private headerLen = 0;
  private headerNeed = 2;
  private opcode = 0;
  private remaining = 0;
  private readonly prefix = Buffer.alloc(PREFIX);
  private prefixLen = 0;
  private prefixNeed = 0;
  private body: Buffer = EMPTY;
  private bodyLen = 0;

  private constructor(
    url: string,
    private readonly token: string,
    private readonly counter: BroadcastCounter,
    private readonly decodeBroadcasts: boolean,
  ) {
    const u = new URL(url);
    const port = Number(u.port || 80);
    this.socket = connect({
      host: u.hostname,
      port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buffer: Uint8Array) => this.feed(buffer as Buffer, n) },
    });
    this.socket.on('connect', () => {
      this.socket.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => this.settle(error));
    this.socket.on('close', () => {
      this.settle(new Error('closed before welcome'));
      this.lost('transport close');
    });
  }

  /** Resolves on `welcome`, rejects on a refused handshake (Error.message as the server sent it). */
  static connect(url: string, token: string, counter: BroadcastCounter, options: LeanOptions = {}): Promise<LeanClient> {
    const client = new LeanClient(url, token, counter, options.decodeBroadcasts ?? false);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => client.settle(new Error(`no welcome within ${timeoutMs / 1000} s`)), timeoutMs);
      client.settle = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          client.closing = true;
          client.socket.destroy();
          reject(error);
        } else resolve(client);
      };
    });
  }

  /** Sends one Socket.IO packet, e.g. `427["position",{...}]`, in a single masked text frame. */
  send(packet: string): void {
    const length = Buffer.byteLength(packet);
    const head = length < 126 ? 6 : length < 65_536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(head + length);
    frame[0] = 0x81; // FIN, text
    if (length < 126) {
      frame[1] = 0x80 | length;
    } else if (length < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    // A zero masking key: the XOR is then the identity, so the payload is written as is.
    // The key exists to protect intermediaries that are not on this loopback path.
    frame.writeUInt32BE(0, head - 4);
    frame.write(packet, head, 'utf8');
    this.socket.write(frame);
  }

  /** The TCP socket (to pause reading in the slow-client probe). */
  get tcp(): Socket {
    return this.socket;
  }

  disconnect(): void {
    this.closing = true;
    this.connected = false;
    if (this.socket.writable && this.mode !== Mode.Handshake) {
      this.send('41');
      this.socket.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0])); // close frame, no status
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private fail(reason: string): void {
    this.settle(new Error(reason));
    this.lost(reason);
    this.closing = true;
    this.socket.destroy();
  }

  private lost(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    if (!this.closing) this.onDisconnect(reason);
  }

  private feed(data: Buffer, end: number): boolean {
    let i = 0;
    while (i < end) {
      switch (this.mode) {
        case Mode.Handshake: {
          // The 101 response is small; a frame may follow it in the same read.
          const chunk = data.toString('latin1', i, end);
          const at = (this.handshake + chunk).indexOf('\r\n\r\n');
          if (at < 0) {
            this.handshake += chunk;
            if (this.handshake.length > 16_384) this.fail('no HTTP upgrade response');
            return true;
          }
          const head = (this.handshake + chunk).slice(0, at);
          i += at + 4 - this.handshake.length;
          this.handshake = '';
          const accept = createHash('sha1').update(this.key + WS_GUID).digest('base64');
          if (!/^HTTP\/1\.1 101 /.test(head) || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
            this.fail(`WebSocket upgrade refused: ${head.split('\r\n')[0]}`);
            return false;
          }
          this.mode = Mode.Header;
          break;
        }
        case Mode.Header: {
          while (i < end && this.headerLen < this.headerNeed) {
            this.header[this.headerLen++] = data[i++];
            if (this.headerLen === 2) {
              if (this.header[1] & 0x80) return this.failed('the server sent a masked frame');
              const len7 = this.header[1] & 0x7f;
              this.headerNeed = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
            }
          }
          if (this.headerLen < this.headerNeed) return true;
          this.startFrame();
          break;
        }
        case Mode.Prefix: {
          while (i < end && this.prefixLen < this.prefixNeed) this.prefix[this.prefixLen++] = data[i++];
          if (this.prefixLen < this.prefixNeed) return true;
          this.remaining -= this.prefixLen;
          const prefix = this.prefix.subarray(0, this.prefixLen);
          const moved = startsWith(prefix, MOVED);
          if (!(moved && this.decodeBroadcasts) && BROADCASTS.some((p) => startsWith(prefix, p))) {
            this.counter.frames++;
            this.counter.chars += this.prefixLen + this.remaining;
            this.mode = Mode.Skip;
          } else {
            this.body = Buffer.allocUnsafe(this.prefixLen + this.remaining);
            prefix.copy(this.body, 0);
            this.bodyLen = this.prefixLen;
            this.mode = Mode.Collect;
          }
          if (this.remaining === 0) {
            if (this.mode === Mode.Skip) this.mode = Mode.Header;
            else this.endFrame();
          }
          break;
        }
        case Mode.Skip: {
          const n = Math.min(this.remaining, end - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.mode = Mode.Header;
          break;
        }
        case Mode.Collect: {
          const n = Math.min(this.remaining, end - i);
          data.copy(this.body, this.bodyLen, i, i + n);
          i += n;
          this.bodyLen += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endFrame();
          break;
        }
      }
      if (this.socket.destroyed) return false;
    }
    return true;
  }

  private failed(reason: string): false {
    this.fail(reason);
    return false;
  }

  private startFrame(): void {
    const h = this.header;
    const len7 = h[1] & 0x7f;
    const length = len7 === 126 ? h.readUInt16BE(2) : len7 === 127 ? Number(h.readBigUInt64BE(2)) : len7;
    this.headerLen = 0;
    this.headerNeed = 2;
    this.opcode = h[0] & 0x0f;
    if (!(h[0] & 0x80) || this.opcode === 0) {
      // The server (ws under engine.io) never fragments; supporting it is not worth the hot path.
      this.fail('fragmented WebSocket frames are not supported');
      return;
    }
    this.remaining = length;
    this.bodyLen = 0;
    if (length === 0) {
      this.body = EMPTY;
      this.endFrame();
    } else if (this.opcode === 1 && !this.decodeBroadcasts) {
      this.prefixLen = 0;
      this.prefixNeed = Math.min(PREFIX, length);
      this.mode = Mode.Prefix;
    } else {
      this.body = Buffer.allocUnsafe(length);
      this.mode = Mode.Collect;
    }
  }

  private endFrame(): void {
    const body = this.body.subarray(0, this.bodyLen);
    this.body = EMPTY;
    this.mode = Mode.Header;
    switch (this.opcode) {
      case 1:
        if (this.decodeBroadcasts && startsWith(body, MOVED)) {
          this.onMoved(body.toString('utf8'), performance.timeOrigin + performance.now());
          return;
        }
        this.onPacket(body.toString('utf8'));
        return;
      case 8: // close
        this.socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
        this.lost('transport close');
        return;
      case 9: {
        // ping: pong with the same payload (≤ 125 bytes, masked with the zero key)
        const pong = Buffer.alloc(6 + body.length);
        pong[0] = 0x8a;
        pong[1] = 0x80 | body.length;
        body.copy(pong, 6);
        this.socket.write(pong);
        return;
      }
      default:
        return;
    }
  }

  private onPacket(text: string): void {
    switch (text[0]) {
      case '0': // Engine.IO open: now the Socket.IO connect with the auth
        this.send(`40${JSON.stringify({ token: this.token })}`);
        return;
      case '2': // ping
        this.send('3');
        return;
      case '1': // Engine.IO close
        this.lost('transport close');
        this.socket.end();
        return;
      case '4':
        break;
      default:
        return;
    }
    const type = text[1];
    if (type === '0') {
      this.connected = true;
      return;
    }
    if (type === '4') {
      let message = 'connect_error';
      try {
        message = JSON.parse(text.slice(2)).message as string;
      } catch {
        // keep the generic message
      }
      this.settle(new Error(message));
      return;
    }
    if (type === '1') {
      this.lost('io server disconnect');
      return;
    }
    if (type === '3') {
      const open = text.indexOf('[');
      this.onAck(Number(text.slice(2, open)), text.slice(open));
      return;
    }
    if (type === '2') {
      const open = text.indexOf('[');
      const [event, payload] = JSON.parse(text.slice(open)) as [string, unknown];
      if (event === 'welcome') this.settle(null);
      else if (event === 'error') this.onError(payload);
      else if (event === 'session:replaced') this.lost('session replaced');
    }
  }
}
