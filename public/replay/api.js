/** The analysts' REST calls the viewer makes (docs/replay-api.md). Each throws an Error with the server's message. */

const PAGE_LIMIT = 10000;
const RETRIES_AT_LIVE_EDGE = 5;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function createApi(token) {
  async function getJson(path, params = {}) {
    const url = new URL(path, location.origin);
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
      } catch {
        throw new ApiError(0, 'cannot reach the server; check your connection and try again');
      }
      // 503 at the live edge: appends in flight did not commit in time; the server asks to retry.
      if (response.status === 503 && attempt < RETRIES_AT_LIVE_EDGE) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      const payload = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, payload?.message ?? `the server answered ${response.status}`);
      return payload;
    }
  }

  return {
    players: () => getJson('/players'),
    snapshot: (at) => getJson('/world/snapshot', { at }),
    heatmap: (from, to, cell, players) => getJson('/world/heatmap', { from, to, cell, players }),
    /**
     * Every movement of [from, to), a page of at most PAGE_LIMIT at a time (following
     * nextCursor), handed to onPage as it arrives; resolves when the range is read or
     * `signal` is aborted.
     */
    async movements({ from, to, players, signal }, onPage) {
      let after = null;
      do {
        if (signal?.aborted) return;
        const page = await getJson('/movements', { from, to, players, limit: PAGE_LIMIT, after });
        if (signal?.aborted) return;
        onPage(page.items);
        after = page.nextCursor;
      } while (after !== null);
    },
  };
}
