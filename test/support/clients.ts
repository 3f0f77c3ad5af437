import { randomBytes } from 'node:crypto';
import { io, Socket } from 'socket.io-client';

export interface LoggedIn {
  token: string;
  player: { id: string; username: string; role: string };
}

export function uniqueName(prefix = 'p'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function registerAndLogin(baseUrl: string, username = uniqueName(), password = 'password-123'): Promise<LoggedIn> {
  const reg = await postJson(`${baseUrl}/auth/register`, { username, password });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await postJson(`${baseUrl}/auth/login`, { username, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { token: login.body.accessToken, player: login.body.player };
}

export interface Connected {
  socket: Socket;
  welcome: any;
}

type Transport = 'websocket' | 'polling';

/** Connects with the token and resolves on `welcome`; rejects with the connect_error. */
export function connect(baseUrl: string, token: string | null, transports: Transport[] = ['websocket'], extra: Record<string, unknown> = {}): Promise<Connected> {
  const socket = io(baseUrl, {
    transports,
    reconnection: false,
    forceNew: true,
    auth: token === null ? {} : { token },
    ...extra,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no welcome within 10 s'));
    }, 10_000);
    socket.once('welcome', (welcome) => {
      clearTimeout(timer);
      resolve({ socket, welcome });
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** The next `event` whose payload satisfies `match`. */
export function nextEvent<T = any>(socket: Socket, event: string, match: (payload: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no matching "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Resolves true if `event` arrives within `ms`, false otherwise. */
export function arrives(socket: Socket, event: string, ms: number, match: (payload: any) => boolean = () => true): Promise<boolean> {
  return nextEvent(socket, event, match, ms).then(
    () => true,
    () => false,
  );
}

export function sendPosition(socket: Socket, payload: unknown): Promise<any> {
  return socket.timeout(10_000).emitWithAck('position', payload);
}

/**
 * Every client sends a position every 5 ms for `ms`, without waiting for acks (so a
 * server under test always has positions queued); resolves to each client's acks in
 * order. `onAck` runs as each successful ack arrives.
 */
export async function streamPositions(
  sockets: Socket[],
  ms: number,
  onAck: (client: number, seq: number) => void = () => undefined,
): Promise<any[][]> {
  const acks: Promise<any>[][] = sockets.map(() => []);
  const started = Date.now();
  for (let seq = 1; Date.now() - started < ms; seq++) {
    sockets.forEach((socket, i) =>
      acks[i].push(
        sendPosition(socket, { x: seq % 100, y: 1, seq }).then((ack) => {
          if (ack.ok) onAck(i, seq);
          return ack;
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 5));
  }
  return Promise.all(acks.map((a) => Promise.all(a)));
}
