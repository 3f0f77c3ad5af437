import WebSocket from 'ws';
import { BroadcastCounter } from './cheap-parser';

/**
 * A simulated player that speaks Socket.IO v5 over Engine.IO v4 on a bare WebSocket,
 * for the benchmark's cheap clients: broadcast frames are recognised by their first
 * bytes and counted without being decoded (not even into a string); only acks,
 * `welcome` and `error` are parsed. Observers use the stock socket.io-client instead.
 *
 * Frames: "0{open}" → send "40{auth}" → "40{sid}" connected (or "44{error}");
 * "2" ping → "3" pong; "42[event, data]"; emit with ack "42<id>[...]" → "43<id>[...]".
 */

const BROADCASTS = ['42["players:moved"', '42["player:joined"', '42["player:left"'].map((p) => Buffer.from(p));

function startsWith(data: Buffer, prefix: Buffer): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export class LeanClient {
  connected = false;
  private ws: WebSocket;
  private nextAck = 0;
  private readonly acks = new Map<number, (response: any) => void>();
  private closing = false;
  onDisconnect: (reason: string) => void = () => undefined;
  onError: (payload: unknown) => void = () => undefined;

  private constructor(
    url: string,
    private readonly token: string,
  ) {
    const u = new URL(url);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = '/socket.io/';
    u.search = '?EIO=4&transport=websocket';
    this.ws = new WebSocket(u, { skipUTF8Validation: true, perMessageDeflate: false });
  }

  /** Resolves on `welcome`, rejects on a refused handshake (Error.message as the server sent it). */
  static connect(url: string, token: string, counter: BroadcastCounter, timeoutMs = 30_000): Promise<LeanClient> {
    const client = new LeanClient(url, token);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          client.closing = true;
          client.ws.terminate();
          reject(error);
        } else resolve(client);
      };
      const timer = setTimeout(() => settle(new Error('no welcome within 30 s')), timeoutMs);
      client.ws.on('error', (error) => settle(error));
      client.ws.on('close', () => {
        settle(new Error('closed before welcome'));
        client.lost('transport close');
      });
      client.ws.on('message', (data: Buffer) => {
        if (data[0] === 0x34 /* 4: message */ && data[1] === 0x32 /* 2: event */) {
          for (const prefix of BROADCASTS) {
            if (startsWith(data, prefix)) {
              counter.frames++;
              counter.chars += data.length;
              return;
            }
          }
        }
        client.onFrame(data.toString(), settle);
      });
    });
  }

  private onFrame(text: string, settle: (error: Error | null) => void): void {
    switch (text[0]) {
      case '0': // Engine.IO open: now the Socket.IO connect with the auth
        this.ws.send(`40${JSON.stringify({ token: this.token })}`);
        return;
      case '2': // ping
        this.ws.send('3');
        return;
      case '1': // Engine.IO close
        this.ws.close();
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
      const message = (() => {
        try {
          return JSON.parse(text.slice(2)).message as string;
        } catch {
          return 'connect_error';
        }
      })();
      settle(new Error(message));
      return;
    }
    if (type === '1') {
      this.lost('io server disconnect');
      return;
    }
    if (type === '3') {
      const open = text.indexOf('[');
      const id = Number(text.slice(2, open));
      const callback = this.acks.get(id);
      if (!callback) return;
      this.acks.delete(id);
      callback(JSON.parse(text.slice(open))[0]);
      return;
    }
    if (type === '2') {
      const open = text.indexOf('[');
      const [event, payload] = JSON.parse(text.slice(open)) as [string, unknown];
      if (event === 'welcome') settle(null);
      else if (event === 'error') this.onError(payload);
      else if (event === 'session:replaced') this.lost('session replaced');
    }
  }

  private lost(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    if (!this.closing) this.onDisconnect(reason);
  }

  emitWithCallback(event: string, payload: unknown, callback: (response: any) => void): void {
    const id = this.nextAck++;
    this.acks.set(id, callback);
    this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
  }

  /** The TCP socket under the WebSocket (to pause reading in the slow-client probe). */
  get tcp(): import('node:net').Socket {
    return (this.ws as unknown as { _socket: import('node:net').Socket })._socket;
  }

  disconnect(): void {
    this.closing = true;
    this.connected = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send('41');
    this.ws.close();
  }
}
