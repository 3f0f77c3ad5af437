import { PasswordHasher } from '../src/auth/password-hasher';
import { postJson, registerAndLogin, uniqueName } from './support/clients';
import { startTestServer, TestServer } from './support/test-server';

const PASSWORD = 'password-123';

function expectThrottled(res: { status: number; body: any; retryAfter: string | null }, message: RegExp): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(message) });
  const seconds = Number(res.retryAfter);
  expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60).toBe(true);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

describe('auth throttling per client address (AUTH_THROTTLE_PER_ADDRESS)', () => {
  let server: TestServer;

  beforeAll(async () => {
    // TRUST_PROXY: the test stands for clients behind a proxy on this machine.
    server = await startTestServer({ AUTH_THROTTLE_PER_ADDRESS: '5', AUTH_THROTTLE_PER_USERNAME: '0', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => server?.close());

  it('lets 5 login and register requests a minute through from one address, then answers 429 with Retry-After before hashing anything', async () => {
    const from = { 'x-forwarded-for': '203.0.113.7' };
    const username = uniqueName();
    expect((await post(`${server.url}/auth/register`, { username, password: PASSWORD }, from)).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await post(`${server.url}/auth/login`, { username, password: PASSWORD }, from)).status).toBe(200);
    expect((await post(`${server.url}/auth/login`, { username, password: 'wrong-password' }, from)).status).toBe(401);

    const hasher = server.running.app.get(PasswordHasher);
    const hashed = jest.spyOn(hasher, 'hash');
    const verified = jest.spyOn(hasher, 'verify');
    const late = uniqueName();
    expectThrottled(await post(`${server.url}/auth/register`, { username: late, password: PASSWORD }, from), /AUTH_THROTTLE_PER_ADDRESS/);
    expectThrottled(await post(`${server.url}/auth/login`, { username, password: PASSWORD }, from), /from this address/);
    // Not even a malformed body gets as far as validation.
    expect((await post(`${server.url}/auth/login`, { nonsense: true }, from)).status).toBe(429);
    expect([hashed.mock.calls.length, verified.mock.calls.length]).toEqual([0, 0]);
    hashed.mockRestore();
    verified.mockRestore();
    const [{ n }] = await server.dataSource.query(`SELECT count(*)::int AS n FROM players WHERE username = $1`, [late]);
    expect(n).toBe(0);

    // Another address has its own count.
    expect((await post(`${server.url}/auth/login`, { username, password: PASSWORD }, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
  });
});

describe('auth throttling per username (AUTH_THROTTLE_PER_USERNAME)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ AUTH_THROTTLE_PER_USERNAME: '3' });
  });
  afterAll(() => server?.close());

  it('refuses a username after 3 failed logins in a minute, even with the right password, and leaves other usernames alone', async () => {
    const { player } = await registerAndLogin(server.url, uniqueName('victim'), PASSWORD);
    for (let i = 0; i < 3; i++) expect((await postJson(`${server.url}/auth/login`, { username: player.username, password: `guess-${i}-xx` })).status).toBe(401);

    const verified = jest.spyOn(server.running.app.get(PasswordHasher), 'verify');
    expectThrottled(await post(`${server.url}/auth/login`, { username: player.username, password: PASSWORD }), /failed logins for this username/);
    expectThrottled(await post(`${server.url}/auth/login`, { username: player.username.toUpperCase(), password: 'another-guess' }), /username/);
    expect(verified).not.toHaveBeenCalled();
    verified.mockRestore();

    // A successful login does not count, and another username is not affected.
    const other = await registerAndLogin(server.url, uniqueName('bystander'), PASSWORD);
    for (let i = 0; i < 4; i++) expect((await postJson(`${server.url}/auth/login`, { username: other.player.username, password: PASSWORD })).status).toBe(200);
  });
});
