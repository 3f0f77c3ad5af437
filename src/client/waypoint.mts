/**
 * Waypoint's game-client library: one ES module for browsers (served at /client/waypoint.js)
 * and Node.js. It connects with a token, keeps one `clientSession` across reconnects,
 * holds every position until the server acknowledges it and resends what a resumed
 * session has not recorded, reconnects with exponential backoff, decodes the compact wire
 * mode, and interpolates the other players between the positions it receives.
 *
 * It does not bundle socket.io-client: pass its `io` (in a browser, from the server's
 * /socket.io/socket.io.esm.min.js). API and example: docs/client.md.
 */
import { SnapshotInterpolator, type InterpolationOptions, type Pose } from './interpolation.mjs';
import { decodePackedFrame } from './packed-frame.mjs';
import { SendBuffer, type OutgoingPosition } from './send-buffer.mjs';

export { decodePackedFrame, encodePackedFrame, PackedFrameError, type PackedEntry } from './packed-frame.mjs';
export { SnapshotInterpolator, shortestTurn, type InterpolationOptions, type Pose, type Sample } from './interpolation.mjs';
export { SendBuffer, type OutgoingPosition } from './send-buffer.mjs';

/** The part of a socket.io-client Socket the library uses. */
export interface SocketLike {
  connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: any[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
}
/** socket.io-client's `io`. */
export type IoFactory = (url: string, options: Record<string, unknown>) => SocketLike;

export interface WaypointOptions {
  /** The server, e.g. `http://127.0.0.1:5000` (in a browser, `location.origin`). */
  url: string;
  /** The access token, or a function giving one (asked at every connect, so it can be renewed). */
  token: string | (() => string | Promise<string>);
  io: IoFactory;
  /** `packed` (default): `players:moved` as binary frames; `json`: v1 arrays. */
  format?: 'packed' | 'json';
  /** Kept across reconnects; default: generated. Reuse one (with `firstSeq`) to resume after a page reload. */
  clientSession?: string;
  /** The seq of the first position sent; default 1. Seqs increase within a client session. */
  firstSeq?: number;
  /** Positions an earlier holder of `clientSession` left unacknowledged (`snapshot().pending`), sent first. */
  pending?: OutgoingPosition[];
  /** Default `['websocket', 'polling']` (WebSocket first, long-polling only if it cannot connect). */
  transports?: string[];
  /** Reconnect backoff: the first wait, the largest, and the factor between attempts. Default 250 ms, 10 s, 2. */
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
  /** Positions kept unacknowledged at most; beyond, the oldest is dropped (`dropped` event). Default 1000. */
  maxWaiting?: number;
  /** Wait before resending after the server answered `unavailable`, in ms. Default 500. */
  retryDelayMs?: number;
  interpolation?: InterpolationOptions;
  /** Random numbers in [0, 1) for the backoff's jitter (tests pass their own). */
  random?: () => number;
}

export interface PlayerInfo {
  id: string;
  username: string;
  n: number;
}
export interface WirePosition extends Pose {
  at: string;
}
export interface Welcome {
  self: PlayerInfo;
  position: WirePosition | null;
  players: (PlayerInfo & { position: WirePosition | null })[];
  world: { min: number; max: number; cellSize: number | null };
  resume?: { clientSession: string; lastSeq: number | null } | null;
}
/** One `players:moved` entry, whichever the wire format. */
export interface MovedEntry extends Pose {
  id: string;
  seq: number | null;
  t: number;
}
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'closed';

export interface WaypointEvents {
  welcome: (welcome: Welcome) => void;
  joined: (player: PlayerInfo & { position: WirePosition | null }) => void;
  left: (player: { id: string }) => void;
  moved: (entries: MovedEntry[]) => void;
  /** A position was recorded (`duplicate`: it had been recorded before, by an earlier send). */
  ack: (ack: { seq: number; duplicate: boolean }) => void;
  /** A position refused for good (`invalid_position`, `out_of_bounds`, `too_fast`, `rate_limited`). */
  rejected: (rejection: { seq: number; code: string; message: string }) => void;
  /** A position dropped unsent because more than `maxWaiting` were waiting. */
  dropped: (position: OutgoingPosition) => void;
  /** The connection changed state; `waiting` = positions not yet acknowledged. */
  state: (state: { state: ConnectionState; waiting: number; retryInMs?: number }) => void;
  /** Another connection of this player took over; the client stays closed. */
  replaced: () => void;
  /** The server refused the connection (`unauthorized`, `invalid_format`, `invalid_client_session`) or could not start the session (`unavailable`). */
  error: (error: { code: string; message: string }) => void;
}

/** Refusals after which reconnecting cannot help (unless the token can be renewed). */
const FATAL = new Set(['unauthorized', 'invalid_format', 'invalid_client_session']);

export function newClientSession(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[b & 63];
  return s;
}

export class WaypointClient {
  readonly clientSession: string;
  readonly format: 'packed' | 'json';
  /** The other players online, by id. */
  readonly players = new Map<string, PlayerInfo>();
  readonly interpolator: SnapshotInterpolator<string>;
  self: PlayerInfo | null = null;
  world: Welcome['world'] | null = null;
  state: ConnectionState = 'closed';

  private readonly socket: SocketLike;
  private readonly buffer: SendBuffer;
  private readonly byNumber = new Map<number, string>();
  private readonly inFlight = new Set<number>();
  private readonly listeners = new Map<keyof WaypointEvents, Set<(...args: any[]) => void>>();
  private readonly backoff: { initialMs: number; maxMs: number; factor: number };
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;

  constructor(private readonly options: WaypointOptions) {
    this.clientSession = options.clientSession ?? newClientSession();
    this.format = options.format ?? 'packed';
    this.buffer = new SendBuffer(options.maxWaiting ?? 1000, options.firstSeq ?? 1, options.pending);
    this.interpolator = new SnapshotInterpolator<string>(options.interpolation);
    this.backoff = { initialMs: 250, maxMs: 10_000, factor: 2, ...options.backoff };
    this.socket = options.io(options.url, {
      autoConnect: false,
      reconnection: false, // the library reconnects itself, after server refusals too
      forceNew: true,
      transports: options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      auth: (send: (auth: Record<string, unknown>) => void) => {
        const token = typeof options.token === 'function' ? options.token() : options.token;
        void Promise.resolve(token).then((t) => send({ token: t, clientSession: this.clientSession, format: this.format }));
      },
    });
    this.bind();
  }

  on<E extends keyof WaypointEvents>(event: E, listener: WaypointEvents[E]): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  off<E extends keyof WaypointEvents>(event: E, listener: WaypointEvents[E]): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  connect(): this {
    this.stopped = false;
    this.setState('connecting');
    this.socket.connect();
    return this;
  }

  /** Closes the connection for good; positions still waiting stay in `waiting`. */
  close(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket.disconnect();
    this.setState('closed');
  }

  /** Sends a position (or keeps it until the session is up); returns its seq. */
  send(position: { x: number; y: number; z?: number; heading?: number }): number {
    const { entry, dropped } = this.buffer.add(position);
    if (dropped) {
      this.inFlight.delete(dropped.seq);
      this.emit('dropped', dropped);
    }
    if (this.state === 'online' && !this.retryTimer) this.transmit(entry);
    return entry.seq;
  }

  /** Positions sent and not yet acknowledged. */
  get waiting(): number {
    return this.buffer.size;
  }

  /** The positions not yet acknowledged, oldest first. */
  pending(): readonly OutgoingPosition[] {
    return this.buffer.pending();
  }

  /**
   * What a page needs to carry this client session over a reload: pass it back as
   * `clientSession`, `firstSeq` and `pending` (e.g. kept in sessionStorage).
   */
  snapshot(): { clientSession: string; nextSeq: number; pending: OutgoingPosition[] } {
    return { clientSession: this.clientSession, nextSeq: this.buffer.nextSeq, pending: this.buffer.pending().map((p) => ({ ...p })) };
  }

  /** Where to draw every other player at `now`: interpolated, about one tick behind. */
  poses(now: number = Date.now()): Map<string, Pose> {
    return this.interpolator.posesAt(now);
  }

  private bind(): void {
    const s = this.socket;
    s.on('welcome', (welcome: Welcome) => this.onWelcome(welcome));
    s.on('player:joined', (p: PlayerInfo & { position: WirePosition | null }) => {
      this.remember(p);
      this.emit('joined', p);
    });
    s.on('player:left', ({ id }: { id: string }) => {
      const known = this.players.get(id);
      if (known && this.byNumber.get(known.n) === id) this.byNumber.delete(known.n);
      this.players.delete(id);
      this.interpolator.forget(id);
      this.emit('left', { id });
    });
    s.on('players:moved', (payload: unknown) => this.onMoved(payload));
    s.on('session:replaced', () => {
      this.stopped = true;
      this.clearTimers();
      this.setState('closed');
      this.emit('replaced');
    });
    s.on('error', (error: { code: string; message: string }) => this.emit('error', error));
    s.on('connect_error', (error: Error) => {
      const code = error.message;
      if (FATAL.has(code) && !(code === 'unauthorized' && typeof this.options.token === 'function')) {
        this.stopped = true;
        this.setState('closed');
        this.emit('error', { code, message: `the server refused the connection: ${code}` });
        return;
      }
      this.reconnectLater();
    });
    s.on('disconnect', () => {
      // Who is online is learnt again from the next welcome.
      this.players.clear();
      this.byNumber.clear();
      this.inFlight.clear();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.reconnectLater();
    });
  }

  private onWelcome(welcome: Welcome): void {
    this.attempt = 0;
    this.self = welcome.self;
    this.world = welcome.world;
    // Players announced by a player:joined that overtook this welcome are kept.
    this.byNumber.set(welcome.self.n, welcome.self.id);
    for (const p of welcome.players) this.remember(p);
    this.inFlight.clear();
    const again = this.buffer.resume(welcome.resume ? welcome.resume.lastSeq : undefined);
    this.setState('online');
    this.emit('welcome', welcome);
    for (const entry of again) this.transmit(entry);
  }

  private remember(p: PlayerInfo & { position?: WirePosition | null }): void {
    this.players.set(p.id, { id: p.id, username: p.username, n: p.n });
    this.byNumber.set(p.n, p.id);
    if (p.position) this.interpolator.push(p.id, { ...p.position, t: Date.parse(p.position.at) });
  }

  private onMoved(payload: unknown): void {
    let entries: MovedEntry[];
    if (Array.isArray(payload)) entries = payload as MovedEntry[];
    else if (payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)) {
      entries = [];
      for (const { n, ...rest } of decodePackedFrame(payload)) {
        const id = this.byNumber.get(n);
        if (id !== undefined) entries.push({ id, ...rest }); // a number not announced yet: skipped
      }
    } else return;
    const now = Date.now();
    for (const e of entries) if (e.id !== this.self?.id) this.interpolator.push(e.id, e, now);
    this.emit('moved', entries);
  }

  private transmit(entry: OutgoingPosition): void {
    if (this.inFlight.has(entry.seq)) return;
    this.inFlight.add(entry.seq);
    this.socket.emit('position', entry, (answer: { ok: boolean; seq?: number; duplicate?: boolean; error?: { code: string; message: string } }) => {
      this.inFlight.delete(entry.seq);
      if (answer?.ok) {
        this.buffer.settle(entry.seq);
        this.emit('ack', { seq: entry.seq, duplicate: answer.duplicate === true });
      } else if (answer?.error?.code === 'unavailable') {
        this.retryLater(); // not recorded: stays in the buffer, sent again in order
      } else {
        this.buffer.settle(entry.seq);
        this.emit('rejected', { seq: entry.seq, code: answer?.error?.code ?? 'unknown', message: answer?.error?.message ?? '' });
      }
      this.emitState();
    });
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    const wait = this.options.retryDelayMs ?? 500;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state !== 'online') return;
      for (const entry of this.buffer.pending()) this.transmit(entry);
    }, wait);
  }

  private reconnectLater(): void {
    if (this.stopped || this.reconnectTimer) return;
    const { initialMs, maxMs, factor } = this.backoff;
    const ceiling = Math.min(maxMs, initialMs * factor ** this.attempt++);
    const wait = Math.round(ceiling * (0.5 + 0.5 * (this.options.random ?? Math.random)()));
    this.setState('reconnecting', wait);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.socket.connect();
    }, wait);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.reconnectTimer = this.retryTimer = null;
  }

  private setState(state: ConnectionState, retryInMs?: number): void {
    this.state = state;
    this.emitState(retryInMs);
  }

  private emitState(retryInMs?: number): void {
    this.emit('state', retryInMs === undefined ? { state: this.state, waiting: this.waiting } : { state: this.state, waiting: this.waiting, retryInMs });
  }

  private emit<E extends keyof WaypointEvents>(event: E, ...args: Parameters<WaypointEvents[E]>): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }
}
