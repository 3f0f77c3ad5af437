import { request as httpRequest } from 'node:http';
import { io, Socket } from 'socket.io-client';
import { analyst } from './replay-support';
import { connect, LoggedIn, nextEvent, postJson, registerAndLogin, sendPosition, uniqueName } from './support/clients';
import { countEvents, startTestServer, TestServer } from './support/test-server';

interface Answer {
  status: number;
  contentType: string;
  body: any;
}

/** One HTTP request with exactly these bytes as path and body (fetch would refuse a GET body or re-encode a path). */
function send(base: string, method: string, path: string, options: { body?: string | Buffer; contentType?: string; token?: string } = {}): Promise<Answer> {
  const url = new URL(base);
  const headers: Record<string, string | number> = {};
  if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        let body: any = text;
        if (contentType.includes('json')) body = JSON.parse(text);
        resolve({ status: res.statusCode!, contentType, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function expectErrorShape(answer: Answer, status?: number): void {
  expect(answer.contentType).toContain('application/json');
  expect(answer.body).toEqual({ statusCode: answer.status, error: expect.any(String), message: expect.any(String) });
  if (status !== undefined) expect(answer.status).toBe(status);
  else {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  }
}

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const PASSWORD = '"password-123"';

/** Bodies that are JSON (or nearly) and break a body rule, with the status and message expected for each. */
const HOSTILE_BODIES: [string, string | Buffer, number, RegExp, string][] = [
  ['nested 1,500 deep', `{"username":${deep(1500)},"password":${PASSWORD}}`, 400, /nested deeper than 32 levels/, 'application/json'],
  ['nested 30,000 deep', `{"username":${deep(30_000)},"password":${PASSWORD}}`, 400, /nested deeper than 32 levels/, 'application/json'],
  ['nested 33 deep in objects', `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, 400, /nested deeper than 32 levels/, 'application/json'],
  ['a NUL in the username', `{"username":"nul\\u0000name","password":${PASSWORD}}`, 400, /NUL character/, 'application/json'],
  ['a NUL in the password', `{"username":"nul_in_password","password":"password-\\u0000-123"}`, 400, /NUL character/, 'application/json'],
  ['a NUL as a key', `{"username":"ok_name","password":${PASSWORD},"\\u0000":1}`, 400, /NUL character/, 'application/json'],
  ['a lone high surrogate', `{"username":"sur\\ud800","password":${PASSWORD}}`, 400, /lone UTF-16 surrogate/, 'application/json'],
  ['a lone low surrogate', `{"username":"ok_name","password":"pass\\udc00word-123"}`, 400, /lone UTF-16 surrogate/, 'application/json'],
  ['a high surrogate before another escape', `{"username":"ok_name","password":"pass\\ud800\\nword"}`, 400, /lone UTF-16 surrogate/, 'application/json'],
  ['a number beyond a double', `{"username":1e400,"password":${PASSWORD}}`, 400, /number too large/, 'application/json'],
  ['a whole number beyond 2^53', `{"username":"ok_name","password":${PASSWORD},"n":123456789012345678901}`, 400, /lose precision/, 'application/json'],
  ['a duplicate key', `{"username":"first_name","username":"second_name","password":${PASSWORD}}`, 400, /key "username" twice/, 'application/json'],
  ['a duplicate key spelled with an escape', `{"username":"first_name","user\\u006eame":"second_name","password":${PASSWORD}}`, 400, /key "username" twice/, 'application/json'],
  ['bytes that are not UTF-8', Buffer.concat([Buffer.from('{"username":"bad'), Buffer.from([0xff, 0xfe]), Buffer.from(`","password":${PASSWORD}}`)]), 400, /not valid UTF-8/, 'application/json'],
  ['UTF-16 instead of UTF-8', Buffer.from(`{"username":"utf16_name","password":${PASSWORD}}`, 'utf16le'), 415, /UTF-8/, 'application/json; charset=utf-16le'],
  ['malformed JSON', `{"username":`, 400, /not valid JSON/, 'application/json'],
];

/** Query strings, each breaking one class of input for a parameter of the replay routes. */
const HOSTILE_QUERIES = [
  'from=%00',
  'from=2025-01-01T00:00:00Z%00',
  'to=%ED%A0%80',
  'to=%E0%A4%A',
  'from=a&from=b',
  'after=%00',
  'after=99999999999999999999999999999',
  'after=1e400',
  'after=-1',
  'limit=1e400',
  'limit=%00',
  'players=%00',
  'players=%ED%A0%80',
  `players=${'a'.repeat(10_000)}`,
  'players[x]=1',
  'at=%00',
  'at=9999999-01-01T00:00:00Z',
  'cell=1e400',
  'cell=%00',
  'cell=0.0000000000000000000000000001',
  'x=1e400&y=0&radius=1',
  'x=0&y=%00&radius=1',
  'x=0&y=0&radius=99999999999999999999999',
  'from=2025-01-01T00:00:00Z&to=2025-01-01T01:00:00Z&cell=%ED%A0%80',
  '%00=1',
];

/** Player ids in paths that are not player ids. */
const HOSTILE_IDS = ['%00', '%ED%A0%80', '%E0%A4%A', 'a'.repeat(5_000), '..%2F..%2Fhealth', '1e400', '%F0%9F%98%80'];

describe('hostile HTTP input: every route answers 4xx with the error shape, never 500, and records nothing', () => {
  let server: TestServer;
  let reader: LoggedIn;
  /** [method, path with {id}] of every route the server documents. */
  let routes: [string, string][];

  beforeAll(async () => {
    server = await startTestServer();
    reader = await analyst(server);
    const doc = (await send(server.url, 'GET', '/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m): [string, string] => [m.toUpperCase(), path]));
  });
  afterAll(async () => {
    await server.close();
  });

  it('sweeps the documented routes, auth and replay among them', () => {
    expect(routes).toEqual(expect.arrayContaining([
      ['POST', '/auth/register'],
      ['POST', '/auth/login'],
      ['GET', '/players/{id}/movements'],
      ['GET', '/movements'],
      ['GET', '/world/snapshot'],
      ['GET', '/world/heatmap'],
      ['GET', '/world/visits'],
      ['GET', '/players/{id}/trajectory'],
    ]));
  });

  it.each(HOSTILE_BODIES)('refuses a body with %s on every route', async (_, body, status, message, contentType) => {
    const before = await countEvents(server.dataSource);
    for (const [method, path] of routes) {
      const answer = await send(server.url, method, path.replace('{id}', reader.player.id), { body, contentType, token: reader.token });
      expectErrorShape(answer, status);
      expect(answer.body.message).toMatch(message);
    }
    expect(await countEvents(server.dataSource)).toBe(before);
  });

  it('answers login with a NUL in the username 400, not 500 (the database cannot hold U+0000)', async () => {
    const answer = await postJson(`${server.url}/auth/login`, { username: 'ada\u0000', password: 'password-123' });
    expect(answer).toEqual({ status: 400, body: { statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/NUL character/) } });
  });

  it('refuses to register a password with a NUL inside, and registers nobody', async () => {
    const username = uniqueName();
    const answer = await postJson(`${server.url}/auth/register`, { username, password: 'password\u0000123' });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/NUL character/);
    const login = await postJson(`${server.url}/auth/login`, { username, password: 'password' });
    expect(login.status).toBe(401);
  });

  it('still takes well-formed bodies: a password with an emoji (a surrogate pair, escaped or not) registers and logs in', async () => {
    const escaped = uniqueName();
    const raw = `{"username":"${escaped}","password":"pass-\\ud83d\\ude00-word"}`;
    expect((await send(server.url, 'POST', '/auth/register', { body: raw })).status).toBe(201);
    const login = await postJson(`${server.url}/auth/login`, { username: escaped, password: 'pass-\u{1F600}-word' });
    expect(login.status).toBe(200);
    expect(login.body.player.username).toBe(escaped);
  });

  it('answers hostile query strings on every reading route with 4xx, never 500', async () => {
    const before = await countEvents(server.dataSource);
    const reading = routes.filter(([method]) => method === 'GET');
    for (const [, path] of reading) {
      for (const query of HOSTILE_QUERIES) {
        const answer = await send(server.url, 'GET', `${path.replace('{id}', reader.player.id)}?${query}`, { token: reader.token });
        if (answer.status >= 400) expectErrorShape(answer);
        else expect({ path, query, status: answer.status }).toEqual({ path, query, status: expect.any(Number) });
        expect(answer.status).toBeLessThan(500);
      }
    }
    // The replay routes read these parameters: each one is refused there.
    for (const path of [`/players/${reader.player.id}/movements`, '/movements']) {
      for (const query of HOSTILE_QUERIES.filter((q) => !q.startsWith('at=') && !(path !== '/movements' && q.startsWith('players')))) {
        const answer = await send(server.url, 'GET', `${path}?${query}`, { token: reader.token });
        expectErrorShape(answer, 400);
      }
    }
    expect(await countEvents(server.dataSource)).toBe(before);
  });

  it('answers ids in paths that are not player ids with 4xx, never 500', async () => {
    const withId = routes.filter(([, path]) => path.includes('{id}'));
    expect(withId.length).toBeGreaterThanOrEqual(2);
    for (const [method, path] of withId) {
      for (const id of HOSTILE_IDS) {
        const answer = await send(server.url, method, path.replace('{id}', id), { token: reader.token });
        expectErrorShape(answer);
      }
    }
  });
});

describe('hostile Socket.IO input', () => {
  let server: TestServer;
  let player: LoggedIn;
  let socket: Socket;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' });
    player = await registerAndLogin(server.url);
    ({ socket } = await connect(server.url, player.token));
  });
  afterAll(async () => {
    socket.close();
    await server.close();
  });

  it.each([
    ['a NUL as a key', { x: 1, y: 2, '\u0000': 1 }, /unknown field "\\u0000"/],
    ['a lone surrogate as a key', { x: 1, y: 2, '\ud800': 1 }, /unknown field "\\ud800"/],
    ['a NUL in a value', { x: '\u0000', y: 2 }, /x must be a finite number/],
    ['a lone surrogate in a value', { x: 1, y: '\udc00' }, /y must be a finite number/],
    ['a coordinate nested 400 deep', { x: JSON.parse(deep(400)), y: 2 }, /x must be a finite number, got an array/],
    ['an unknown field nested 400 deep', { x: 1, y: 2, pad: JSON.parse(deep(400)) }, /unknown field "pad"/],
    ['a whole payload nested 400 deep', JSON.parse(deep(400)), /JSON object/],
  ])('answers a position with %s invalid_position, records nothing, keeps the connection', async (_, payload, message) => {
    const before = await countEvents(server.dataSource, 'PlayerMoved');
    const answer = await sendPosition(socket, payload);
    expect(answer).toEqual({ ok: false, error: { code: 'invalid_position', message: expect.stringMatching(message) } });
    // The message is well-formed text whatever the payload held.
    expect(answer.error.message).not.toMatch(/[\u0000\ud800-\udfff]/);
    expect(socket.connected).toBe(true);
    expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
    await expect(sendPosition(socket, { x: 0, y: 0, seq: 1 })).resolves.toEqual({ ok: true, seq: 1 });
  });

  it('answers a position nested 5,000 deep (10 kB, a hand-written frame) invalid_position', async () => {
    // socket.io-client itself overflows its stack on such a payload, so the packet is written raw.
    const before = await countEvents(server.dataSource, 'PlayerMoved');
    const refused = nextEvent(socket, 'error');
    socket.io.engine.write(`2["position",{"x":${deep(5000)},"y":2,"seq":4}]`);
    expect(await refused).toEqual({ code: 'invalid_position', message: expect.stringMatching(/position payload is nested too deeply to measure; the limit is 1024 bytes/), seq: 4 });
    expect(socket.connected).toBe(true);
    expect(await countEvents(server.dataSource, 'PlayerMoved')).toBe(before);
  });

  /** The connect_error message of a handshake with this `auth`. */
  async function refusal(auth: Record<string, unknown>): Promise<string> {
    const client = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
    try {
      return await new Promise<string>((resolve, reject) => {
        client.once('connect_error', (err) => resolve(err.message));
        client.once('welcome', () => reject(new Error('connected')));
      });
    } finally {
      client.close();
    }
  }

  it.each([
    ['a NUL', 'session\u0000'],
    ['a lone surrogate', 'session\ud800'],
    ['nesting 1,500 deep', JSON.parse(deep(1500))],
    ['a number', 1e308],
  ])('refuses a handshake whose clientSession holds %s as invalid_client_session', async (_, clientSession) => {
    expect(await refusal({ token: player.token, clientSession })).toBe('invalid_client_session');
  });

  it.each([
    ['a NUL in the token', () => `${player.token}\u0000`],
    ['a lone surrogate in the token', () => `${player.token.slice(0, -1)}\ud800`],
    ['a token nested 1,500 deep', () => JSON.parse(deep(1500))],
    ['a token that is an object', () => ({ token: player.token })],
    ['a token that is a number', () => 1e308],
    ['a token of 5,000 characters', () => 'e'.repeat(5_000)],
  ])('refuses a handshake with %s as unauthorized', async (_, token) => {
    expect(await refusal({ token: token() })).toBe('unauthorized');
  });

  it('closes the connection of a handshake over MAX_MESSAGE_BYTES, and serves the next one', async () => {
    const other = await registerAndLogin(server.url);
    const client = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: other.token, pad: 'x'.repeat(20_000) } });
    try {
      // The transport closes before the namespace answers: the manager sees the close.
      const reason = await new Promise<string>((resolve, reject) => {
        client.io.once('close', (why) => resolve(why));
        client.once('welcome', () => reject(new Error('connected')));
      });
      expect(reason).toBe('transport close');
    } finally {
      client.close();
    }
    const again = await connect(server.url, other.token);
    expect(again.welcome.self.id).toBe(other.player.id);
    again.socket.close();
  });
});
