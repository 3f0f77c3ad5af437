import { JwtService } from '@nestjs/jwt';
import { connect, postJson, registerAndLogin, uniqueName } from './support/clients';
import { startTestServer, TEST_JWT_SECRET, TestServer } from './support/test-server';

describe('accounts (POST /auth/register, /auth/login)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ JWT_EXPIRES_IN_SECONDS: '900' });
  });
  afterAll(() => server.close());

  const register = (body: unknown) => postJson(`${server.url}/auth/register`, body);
  const login = (body: unknown) => postJson(`${server.url}/auth/login`, body);

  it('registers with 201 {id, username} and stores an argon2id hash, never the password', async () => {
    const username = uniqueName('Ada.L-');
    const res = await register({ username, password: 'correct horse' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), username });
    const [row] = await server.dataSource.query(`SELECT password_hash FROM players WHERE id = $1`, [res.body.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain('correct horse');
    const events = await server.dataSource.query(`SELECT type, stream_version::int AS v FROM events WHERE stream_id = $1`, [
      `player-${res.body.id}`,
    ]);
    expect(events).toEqual([{ type: 'PlayerRegistered', v: 1 }]);
  });

  it('answers 409 for a taken username, whatever its case', async () => {
    const username = uniqueName('taken');
    expect((await register({ username, password: 'password-1' })).status).toBe(201);
    const again = await register({ username: username.toUpperCase(), password: 'password-2' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('taken') });
  });

  it.each([
    ['a short username', { username: 'ab', password: 'password-1' }],
    ['a long username', { username: 'a'.repeat(33), password: 'password-1' }],
    ['a username with spaces', { username: 'bad name', password: 'password-1' }],
    ['SQL in the username', { username: "x'; DROP TABLE players;--", password: 'password-1' }],
    ['a short password', { username: 'someone_ok', password: 'short' }],
    ['a long password', { username: 'someone_ok', password: 'p'.repeat(129) }],
    ['a numeric password', { username: 'someone_ok', password: 12345678 }],
    ['a missing password', { username: 'someone_ok' }],
    ['an unknown field', { username: 'someone_ok', password: 'password-1', role: 'analyst' }],
    ['an array body', [{ username: 'someone_ok', password: 'password-1' }]],
  ])('rejects %s with 400 and a clear message, creating nothing', async (_, body) => {
    const before = await server.dataSource.query(`SELECT count(*)::int AS n FROM players`);
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect(res.body.message.length).toBeGreaterThan(5);
    expect(await server.dataSource.query(`SELECT count(*)::int AS n FROM players`)).toEqual(before);
  });

  it('rejects malformed JSON with 400 and the documented message, not the parser\'s', async () => {
    for (const body of ['{"username": "x",', '{bad', '"str"', 'null']) {
      const res = await postJson(`${server.url}/auth/register`, body);
      expect({ body, status: res.status, answer: res.body }).toEqual({
        body,
        status: 400,
        answer: { statusCode: 400, error: 'Bad Request', message: 'request body is not valid JSON' },
      });
    }
  });

  it('rejects a body over the HTTP body limit with 413 and the documented message', async () => {
    const res = await register({ username: 'big_body', password: 'x'.repeat(100_000) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'request body is too large' });
  });

  it('logs in with 200 and a Bearer token that carries the player', async () => {
    const username = uniqueName();
    const { body: reg } = await register({ username, password: 'password-123' });
    const res = await login({ username, password: 'password-123' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      player: { id: reg.id, username, role: 'player' },
    });
    const claims = new JwtService({ secret: TEST_JWT_SECRET }).verify(res.body.accessToken);
    expect(claims).toMatchObject({ sub: reg.id, username, role: 'player' });
    expect(claims.exp - claims.iat).toBe(900);
  });

  it.each([
    ['a wrong password', (u: string) => ({ username: u, password: 'wrong-password' })],
    ['an unknown username', () => ({ username: uniqueName('ghost'), password: 'password-123' })],
  ])('answers 401 for %s, saying nothing about which part was wrong', async (_, body) => {
    const username = uniqueName();
    await register({ username, password: 'password-123' });
    const res = await login(body(username));
    expect(res).toEqual({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'invalid username or password' } });
  });
});

describe('Socket.IO handshake authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const refused = (token: string | null, extra: Record<string, unknown> = {}) =>
    connect(server.url, token, ['websocket'], extra).then(
      ({ socket }) => {
        socket.close();
        return 'connected';
      },
      (err: Error) => err.message,
    );

  it('refuses a missing token with connect_error "unauthorized"', async () => {
    expect(await refused(null)).toBe('unauthorized');
  });

  it('refuses a forged token (signed with another secret)', async () => {
    const forged = new JwtService({ secret: 'not-the-server-secret-at-all' }).sign({ sub: 'x', username: 'mallory', role: 'analyst' });
    expect(await refused(forged)).toBe('unauthorized');
  });

  it('refuses an expired token', async () => {
    const { player } = await registerAndLogin(server.url);
    const expired = new JwtService({ secret: TEST_JWT_SECRET }).sign({
      sub: player.id,
      username: player.username,
      role: 'player',
      exp: Math.floor(Date.now() / 1000) - 60,
    });
    expect(await refused(expired)).toBe('unauthorized');
  });

  it.each([['garbage'], ['a.b.c'], ["' OR 1=1 --"], ['x'.repeat(10_000)]])('refuses the malformed token %#', async (token) => {
    expect(await refused(token)).toBe('unauthorized');
  });

  it('refuses a valid token whose account no longer exists', async () => {
    const { token, player } = await registerAndLogin(server.url);
    // The server never removes an account; one removed by hand must not connect with an old token.
    await server.dataSource.query(`DELETE FROM players WHERE id = $1`, [player.id]);
    expect(await refused(token)).toBe('unauthorized');
  });

  it('refuses an alg=none token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'x', username: 'mallory', role: 'analyst' })).toString('base64url');
    expect(await refused(`${header}.${body}.`)).toBe('unauthorized');
  });

  it('accepts the token in auth.token and in an Authorization: Bearer header', async () => {
    const { token, player } = await registerAndLogin(server.url);
    const viaAuth = await connect(server.url, token);
    expect(viaAuth.welcome.self.id).toBe(player.id);
    viaAuth.socket.close();
    const viaHeader = await connect(server.url, null, ['websocket'], { extraHeaders: { Authorization: `Bearer ${token}` } });
    expect(viaHeader.welcome.self.id).toBe(player.id);
    viaHeader.socket.close();
  });
});
