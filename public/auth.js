/** The account calls of docs/protocol.md (HTTP section). Each throws an Error carrying the server's own message. */

async function postJson(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error('cannot reach the server; check your connection and try again');
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new Error(payload?.message ?? `the server answered ${response.status}`);
  return payload;
}

export function register(username, password) {
  return postJson('/auth/register', { username, password });
}

/** Resolves to `{accessToken, tokenType, expiresIn, player: {id, username, role}}`. */
export function login(username, password) {
  return postJson('/auth/login', { username, password });
}
