import { randomBytes, randomUUID } from 'node:crypto';
import { ClientAccount } from './load-protocol';

const PASSWORD = 'bench-password-1';

async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Registers and logs in `count` players over the HTTP API (POST /auth/register, /auth/login).
 * Run once per server start and reused by every tier: registration is the slow part.
 */
export async function registerPlayers(baseUrl: string, count: number, concurrency = 16): Promise<ClientAccount[]> {
  const run = randomBytes(3).toString('hex');
  const accounts: ClientAccount[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const idx = next++;
      const username = `lb_${run}_${idx}`;
      const reg = await postJson(`${baseUrl}/auth/register`, { username, password: PASSWORD });
      if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
      const login = await postJson(`${baseUrl}/auth/login`, { username, password: PASSWORD });
      if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.body)}`);
      accounts[idx] = { idx, id: login.body.player.id, token: login.body.accessToken };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return accounts;
}

/** The ceiling server takes any token as the player id: UUIDs, so frames are as long as Waypoint's. */
export function syntheticAccounts(count: number): ClientAccount[] {
  return Array.from({ length: count }, (_, idx) => {
    const id = randomUUID();
    return { idx, id, token: id };
  });
}
