import { randomUUID } from 'node:crypto';
import { Socket } from 'socket.io-client';
import { importEvents } from '../src/event-store';
import { ExportMonitor } from '../src/replay/export-movements/export-monitor';
import { runRoleCommand } from '../src/roles/role.commands';
import { allPages, analyst, eventually, get, openStream, pageWhileWriting, parseCsv, sleep, untilClockPasses } from './replay-support';
import { connect, LoggedIn, registerAndLogin, sendPosition } from './support/clients';
import { startTestServer, TestServer } from './support/test-server';

/**
 * The movements a test recorded, as the events table holds them (the source of truth);
 * resolves once the clock is past the newest, so a read across players made next finds it.
 */
async function recorded(server: TestServer, playerIds: string[]): Promise<any[]> {
  const rows = await server.dataSource.query(
    `SELECT global_position::int AS position, stream_id, data, metadata->>'eventId' AS id, recorded_at
     FROM events WHERE type = 'PlayerMoved' AND stream_id = ANY($1) ORDER BY recorded_at, global_position`,
    [playerIds.map((id) => `movement-${id}`)],
  );
  if (rows.length) await untilClockPasses(server.dataSource, new Date(rows[rows.length - 1].recorded_at));
  return rows.map((r: any) => ({
    id: r.id,
    playerId: r.stream_id.slice('movement-'.length),
    x: r.data.x,
    y: r.data.y,
    z: r.data.z,
    heading: r.data.heading,
    seq: r.data.seq,
    at: new Date(r.recorded_at).toISOString(),
    position: r.position,
  }));
}

/** Movements as the exports write them: each with its player's username. */
function withUsernames(items: any[], players: LoggedIn[]): any[] {
  return items.map((m) => ({ ...m, username: players.find((p) => p.player.id === m.playerId)!.player.username }));
}

describe('replay over REST (docs/protocol.md, HTTP section)', () => {
  let server: TestServer;
  let boss: LoggedIn; // an analyst
  const open: Socket[] = [];
  const moves = async (who: LoggedIn, positions: object[], keepOpen = false): Promise<void> => {
    const { socket } = await connect(server.url, who.token);
    for (const p of positions) expect(await sendPosition(socket, p)).toMatchObject({ ok: true });
    if (keepOpen) open.push(socket);
    else socket.close();
  };

  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '0' });
    boss = await analyst(server);
  });
  afterAll(async () => {
    for (const s of open.splice(0)) s.close();
    await server.close();
  });

  describe('GET /players/:id/movements', () => {
    it('answers the movements the player recorded, in order, with event ids and positions', async () => {
      const ada = await registerAndLogin(server.url);
      await moves(ada, [
        { x: 1, y: 2, z: 3, heading: 0.5, seq: 1 },
        { x: 2, y: 2, seq: 2 },
        { x: -40.25, y: 99, z: 1, heading: 3.1, seq: 3 },
        { x: 4, y: 5 },
      ]);
      const res = await get(`${server.url}/players/${ada.player.id}/movements`, boss.token);
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      // Ids are UUIDs: any letter case names the same player.
      expect((await get(`${server.url}/players/${ada.player.id.toUpperCase()}/movements`, ada.token)).body).toEqual(res.body);
      expect(res.body.items).toEqual(await recorded(server, [ada.player.id]));
      expect(res.body.items.map((m: any) => [m.x, m.y, m.z, m.heading, m.seq])).toEqual([
        [1, 2, 3, 0.5, 1],
        [2, 2, 0, 0, 2],
        [-40.25, 99, 1, 3.1, 3],
        [4, 5, 0, 0, null],
      ]);
      for (const m of res.body.items) {
        expect(m.playerId).toBe(ada.player.id);
        expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(typeof m.position).toBe('number');
      }
    });

    it('pages with after = nextCursor, the last page saying nextCursor null', async () => {
      const bo = await registerAndLogin(server.url);
      await moves(bo, Array.from({ length: 7 }, (_, i) => ({ x: i, y: -i, seq: i })));
      const url = `${server.url}/players/${bo.player.id}/movements?limit=3`;
      const first = await get(url, boss.token);
      expect(first.body.items.map((m: any) => m.seq)).toEqual([0, 1, 2]);
      expect(first.body.nextCursor).toBe(first.body.items[2].position);
      const { items, pages } = await allPages(url, boss.token);
      expect(pages).toBe(3);
      expect(items.map((m) => m.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      // An exact multiple of the page size still ends with nextCursor null on its last page.
      const exact = await allPages(`${server.url}/players/${bo.player.id}/movements?limit=7`, boss.token);
      expect(exact.pages).toBe(1);
    });

    it('keeps movements recorded in [from, to) only', async () => {
      const cy = await registerAndLogin(server.url);
      const { socket } = await connect(server.url, cy.token);
      for (let i = 0; i < 5; i++) {
        await sendPosition(socket, { x: i, y: 0, seq: i });
        await sleep(15);
      }
      socket.close();
      const all = (await get(`${server.url}/players/${cy.player.id}/movements`, boss.token)).body.items;
      const from = all[1].at;
      const to = all[3].at;
      const res = await get(`${server.url}/players/${cy.player.id}/movements?from=${from}&to=${to}`, boss.token);
      expect(res.status).toBe(200);
      expect(res.body.items.map((m: any) => m.seq)).toEqual([1, 2]);
      const offset = await get(
        `${server.url}/players/${cy.player.id}/movements?from=${encodeURIComponent(new Date(from).toISOString().replace('Z', '+00:00'))}`,
        boss.token,
      );
      expect(offset.body.items.map((m: any) => m.seq)).toEqual([1, 2, 3, 4]);
    });
  });

  describe('GET /players/:id/position and GET /players', () => {
    it('answers the last position, 404 for an unknown player or one that never moved', async () => {
      const di = await registerAndLogin(server.url);
      const still = await registerAndLogin(server.url);
      await moves(di, [{ x: 5, y: 6, seq: 1 }, { x: 7, y: 8, z: 2, heading: 1, seq: 2 }]);
      const res = await get(`${server.url}/players/${di.player.id}/position`, boss.token);
      expect(res.status).toBe(200);
      const last = (await recorded(server, [di.player.id]))[1];
      expect(res.body).toEqual({ x: 7, y: 8, z: 2, heading: 1, at: last.at });

      const unknown = await get(`${server.url}/players/${randomUUID()}/position`, boss.token);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.stringMatching(/no player with id/) });
      expect((await get(`${server.url}/players/not-a-uuid/position`, boss.token)).status).toBe(404);
      const never = await get(`${server.url}/players/${still.player.id}/position`, boss.token);
      expect(never.status).toBe(404);
      expect(never.body.message).toMatch(/no recorded position/);
    });

    it('lists every player with last position and whether online', async () => {
      const on = await registerAndLogin(server.url);
      const off = await registerAndLogin(server.url);
      const idle = await registerAndLogin(server.url);
      await moves(on, [{ x: 11, y: 12, seq: 1 }], true);
      await moves(off, [{ x: 21, y: 22, seq: 1 }]);
      await eventually(async () => !(await get(`${server.url}/players`, boss.token)).body.find((p: any) => p.id === off.player.id).online);
      const res = await get(`${server.url}/players`, boss.token);
      expect(res.status).toBe(200);
      const byId = new Map(res.body.map((p: any) => [p.id, p]));
      expect(byId.get(on.player.id)).toEqual({
        id: on.player.id,
        username: on.player.username,
        online: true,
        position: { x: 11, y: 12, z: 0, heading: 0, at: expect.any(String) },
      });
      expect(byId.get(off.player.id)).toMatchObject({ online: false, position: { x: 21, y: 22 } });
      expect(byId.get(idle.player.id)).toEqual({ id: idle.player.id, username: idle.player.username, online: false, position: null });
      expect(byId.get(boss.player.id)).toBeDefined();
    });
  });

  describe('GET /world/snapshot', () => {
    it('rebuilds every position as of an instant between two moves, from the events', async () => {
      const ed = await registerAndLogin(server.url);
      const fay = await registerAndLogin(server.url);
      await moves(ed, [{ x: 100, y: 100, seq: 1 }]);
      await sleep(40);
      await moves(fay, [{ x: -5, y: -5, seq: 1 }]);
      await sleep(40);
      await moves(ed, [{ x: 200, y: 200, z: 4, heading: 2, seq: 2 }]);
      const [ed1, ed2] = await recorded(server, [ed.player.id]);
      const [fay1] = await recorded(server, [fay.player.id]);
      const t1 = Date.parse(ed1.at);
      const t2 = Date.parse(ed2.at);
      expect(t2 - t1).toBeGreaterThan(2);

      // The projection is left out on purpose: a snapshot that read it would see this.
      await server.dataSource.query(`UPDATE last_positions SET x = -1, y = -1 WHERE player_id = $1`, [ed.player.id]);

      const snapshotAt = async (ms: number) => {
        const res = await get(`${server.url}/world/snapshot?at=${new Date(ms).toISOString()}`, boss.token);
        expect(res.status).toBe(200);
        return new Map<string, any>(res.body.players.map((p: any) => [p.id, p]));
      };
      const between = await snapshotAt(Math.floor((t1 + t2) / 2));
      expect(between.get(ed.player.id)).toEqual({ id: ed.player.id, username: ed.player.username, position: { x: 100, y: 100, z: 0, heading: 0, at: ed1.at } });
      if (Date.parse(fay1.at) <= Math.floor((t1 + t2) / 2)) expect(between.get(fay.player.id).position).toMatchObject({ x: -5, y: -5 });
      const atSecond = await snapshotAt(t2);
      expect(atSecond.get(ed.player.id).position).toEqual({ x: 200, y: 200, z: 4, heading: 2, at: ed2.at });
      expect(atSecond.get(fay.player.id).position).toEqual({ x: -5, y: -5, z: 0, heading: 0, at: fay1.at });
      const before = await snapshotAt(t1 - 1);
      expect(before.has(ed.player.id)).toBe(false);

      const now = await get(`${server.url}/world/snapshot`, boss.token);
      expect(Date.parse(now.body.at)).toBeGreaterThanOrEqual(t2);
      expect(now.body.players.find((p: any) => p.id === ed.player.id).position).toMatchObject({ x: 200, y: 200 });
    });
  });

  describe('GET /world/snapshot as players join', () => {
    it('lists players who registered after an earlier snapshot, everyone in username byte order', async () => {
      const first = await get(`${server.url}/world/snapshot`, boss.token);
      expect(first.status).toBe(200);
      // Upper case sorts before lower case in byte order; a locale order would mix them.
      const suffix = randomUUID().slice(0, 8);
      const late = await registerAndLogin(server.url, `zz_late_${suffix}`);
      const early = await registerAndLogin(server.url, `AA_early_${suffix}`);
      await moves(late, [{ x: 11, y: 12, seq: 1 }]);
      await moves(early, [{ x: 13, y: 14, seq: 1 }]);
      const res = await get(`${server.url}/world/snapshot`, boss.token);
      expect(res.status).toBe(200);
      const names: string[] = res.body.players.map((p: any) => p.username);
      expect(names.length).toBeGreaterThan(first.body.players.length);
      expect(res.body.players.find((p: any) => p.id === late.player.id)).toMatchObject({ username: late.player.username, position: { x: 11, y: 12 } });
      expect(res.body.players.find((p: any) => p.id === early.player.id)).toMatchObject({ username: early.player.username, position: { x: 13, y: 14 } });
      const byteOrder = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(names).toEqual(byteOrder);
    });
  });

  describe('GET /world/snapshot past the window of newest movements', () => {
    it('finds players whose last move is older than the newest movements of everyone else', async () => {
      const quiet = await registerAndLogin(server.url);
      const busy = await registerAndLogin(server.url);
      await moves(quiet, [{ x: 7, y: 7, seq: 1 }]);
      const [quietMove] = await recorded(server, [quiet.player.id]);
      // More movements after it than any snapshot window (at least 1,000) holds.
      const start = Date.parse(quietMove.at) + 10;
      await importEvents(
        server.dataSource,
        Array.from({ length: 2_500 }, (_, i) => ({
          streamId: `movement-${busy.player.id}`,
          streamVersion: i + 1,
          type: 'PlayerMoved',
          data: { x: i, y: -i, z: 0, heading: 0, seq: i },
          metadata: { eventId: randomUUID(), correlationId: 'bulk', causationId: 'bulk' },
          recordedAt: new Date(start + i),
        })),
      );
      const res = await get(`${server.url}/world/snapshot?at=${new Date(start + 2_600).toISOString()}`, boss.token);
      expect(res.status).toBe(200);
      const byId = new Map<string, any>(res.body.players.map((p: any) => [p.id, p]));
      expect(byId.get(quiet.player.id).position).toEqual({ x: 7, y: 7, z: 0, heading: 0, at: quietMove.at });
      expect(byId.get(busy.player.id).position).toMatchObject({ x: 2_499, y: -2_499 });
      const mid = await get(`${server.url}/world/snapshot?at=${new Date(start + 1_200).toISOString()}`, boss.token);
      expect(mid.body.players.find((p: any) => p.id === busy.player.id).position).toMatchObject({ x: 1_200, y: -1_200 });
    });
  });

  describe('GET /movements (across players)', () => {
    it('merges the named players in recorded order and pages through them', async () => {
      const gus = await registerAndLogin(server.url);
      const hal = await registerAndLogin(server.url);
      const a = connect(server.url, gus.token);
      const b = connect(server.url, hal.token);
      const [ga, hb] = [await a, await b];
      await Promise.all([
        (async () => { for (let i = 0; i < 6; i++) await sendPosition(ga.socket, { x: i, y: 1, seq: i }); })(),
        (async () => { for (let i = 0; i < 6; i++) await sendPosition(hb.socket, { x: i, y: 2, seq: i }); })(),
      ]);
      ga.socket.close();
      hb.socket.close();
      const expected = await recorded(server, [gus.player.id, hal.player.id]);
      const url = `${server.url}/movements?players=${gus.player.id},${hal.player.id}&limit=5`;
      const { items, pages } = await allPages(url, boss.token);
      expect(pages).toBe(3);
      expect(items).toEqual(expected);
      // Every player when left out: the same movements appear, in the same order.
      const everyone = await allPages(`${server.url}/movements?from=${expected[0].at}&limit=10000`, boss.token);
      expect(everyone.items.filter((m) => m.playerId === gus.player.id || m.playerId === hal.player.id)).toEqual(expected);
    });

    it('reads many named players (past the stream-by-stream merge) the same way', async () => {
      const movers = [await registerAndLogin(server.url), await registerAndLogin(server.url)];
      await Promise.all(movers.map((m, w) => moves(m, Array.from({ length: 5 }, (_, i) => ({ x: i, y: w, seq: i })))));
      const idle: LoggedIn[] = [];
      for (let i = 0; i < 70; i++) idle.push(await registerAndLogin(server.url));
      const ids = [...movers, ...idle].map((p) => p.player.id);
      const expected = await recorded(server, ids);
      expect(expected).toHaveLength(10);
      const { items } = await allPages(`${server.url}/movements?players=${ids.join(',')}&limit=3`, boss.token);
      expect(items).toEqual(expected);
      const nd = await get(`${server.url}/movements?players=${ids.join(',')}`, boss.token, 'application/x-ndjson');
      expect(nd.text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(withUsernames(expected, movers));
    });

    it('pages across concurrent appends without a duplicate or a gap', async () => {
      const ivy = await registerAndLogin(server.url);
      const jon = await registerAndLogin(server.url);
      const ids = [ivy.player.id, jon.player.id];
      const ci = await connect(server.url, ivy.token);
      const cj = await connect(server.url, jon.token);
      open.push(ci.socket, cj.socket);
      for (let i = 0; i < 10; i++) await sendPosition(ci.socket, { x: i, y: 0, seq: i });
      let writing = true;
      const writers = Promise.all(
        [ci.socket, cj.socket].map(async (socket, w) => {
          for (let i = 0; i < 40; i++) {
            await sendPosition(socket, { x: i, y: w, seq: 100 + i });
            if (i % 5 === 0) await sleep(5);
          }
        }),
      ).finally(() => (writing = false));

      const seen = await pageWhileWriting(server.dataSource, `${server.url}/movements?players=${ids.join(',')}&limit=7`, boss.token, () => writing);
      await writers;
      const positions = seen.map((m) => m.position);
      expect(new Set(positions).size).toBe(positions.length);
      expect(seen).toEqual(await recorded(server, ids));
      expect(seen.length).toBe(90);
    });
  });

  describe('streamed exports', () => {
    it('streams NDJSON and CSV equal to the paged result', async () => {
      const kai = await registerAndLogin(server.url);
      const lea = await registerAndLogin(server.url);
      await moves(kai, Array.from({ length: 9 }, (_, i) => ({ x: i * 1.5, y: -i, z: i % 2, heading: i / 10, seq: i })));
      await moves(lea, [{ x: 1, y: 1 }, { x: 2, y: 2, seq: 5 }]);
      const paged = await allPages(`${server.url}/players/${kai.player.id}/movements?limit=4`, boss.token);

      const nd = await get(`${server.url}/players/${kai.player.id}/movements?limit=4`, boss.token, 'application/x-ndjson');
      expect(nd.status).toBe(200);
      expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      expect(nd.text.endsWith('\n')).toBe(true);
      expect(nd.text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(withUsernames(paged.items, [kai]));

      const csv = await get(`${server.url}/players/${kai.player.id}/movements`, boss.token, 'text/csv');
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const [header, ...rows] = parseCsv(csv.text);
      expect(header).toEqual(['id', 'playerId', 'x', 'y', 'z', 'heading', 'seq', 'at', 'position', 'username']);
      expect(
        rows.map(([id, playerId, x, y, z, heading, seq, at, position, username]) => ({
          id, playerId, x: Number(x), y: Number(y), z: Number(z), heading: Number(heading),
          seq: seq === '' ? null : Number(seq), at, position: Number(position), username,
        })),
      ).toEqual(withUsernames(paged.items, [kai]));

      // A range across players, after a cursor: export = pages.
      const range = `${server.url}/movements?players=${kai.player.id},${lea.player.id}&after=${paged.items[2].position}&limit=3`;
      const pagedRange = await allPages(range, boss.token);
      const ndRange = await get(range, boss.token, 'application/x-ndjson');
      expect(ndRange.text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(withUsernames(pagedRange.items, [kai, lea]));
      expect(pagedRange.items.length).toBe(8);
      const csvRange = await get(range, boss.token, 'text/csv');
      expect(parseCsv(csvRange.text).slice(1).map((r) => Number(r[8]))).toEqual(pagedRange.items.map((m) => m.position));

      // Text that needs escaping (an event id from an import, say) survives both formats.
      const odd = await registerAndLogin(server.url);
      await importEvents(server.dataSource, [
        {
          streamId: `movement-${odd.player.id}`,
          streamVersion: 1,
          type: 'PlayerMoved',
          data: { x: 0.1 + 0.2, y: -1e-7, z: 1e21, heading: 2, seq: 9007199254740991 },
          metadata: { eventId: 'odd "id", with\na newline', correlationId: 'import', causationId: 'import' },
          recordedAt: new Date('2025-01-01T00:00:00.001Z'),
        },
      ]);
      const oddPage = (await get(`${server.url}/players/${odd.player.id}/movements`, boss.token)).body.items;
      expect(oddPage[0]).toMatchObject({ id: 'odd "id", with\na newline', x: 0.30000000000000004, y: -1e-7, z: 1e21, seq: 9007199254740991 });
      const oddNd = await get(`${server.url}/players/${odd.player.id}/movements`, boss.token, 'application/x-ndjson');
      expect(oddNd.text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(withUsernames(oddPage, [odd]));
      const oddCsv = parseCsv((await get(`${server.url}/players/${odd.player.id}/movements`, boss.token, 'text/csv')).text);
      expect(oddCsv[1][0]).toBe('odd "id", with\na newline');
      expect(oddCsv[1].slice(2, 7).map(Number)).toEqual([0.30000000000000004, -1e-7, 1e21, 2, 9007199254740991]);

      // Accept allows none of the formats: 406, as JSON.
      const html = await get(`${server.url}/players/${kai.player.id}/movements`, boss.token, 'text/html');
      expect(html.status).toBe(406);
      expect(html.body).toMatchObject({ statusCode: 406, error: 'Not Acceptable' });

      // An empty range is a header only, or nothing.
      const empty = `${server.url}/players/${lea.player.id}/movements?from=2000-01-01&to=2000-01-02`;
      expect((await get(empty, boss.token, 'application/x-ndjson')).text).toBe('');
      expect((await get(empty, boss.token, 'text/csv')).text).toBe('id,playerId,x,y,z,heading,seq,at,position,username\r\n');
    });

    it('reads only as fast as the client takes, and stops reading when the client goes away', async () => {
      const max = await registerAndLogin(server.url);
      const streamId = `movement-${max.player.id}`;
      const total = 150_000;
      const start = Date.now() - 3_600_000;
      for (let v = 0; v < total; v += 25_000) {
        await importEvents(
          server.dataSource,
          Array.from({ length: 25_000 }, (_, i) => ({
            streamId,
            streamVersion: v + i + 1,
            type: 'PlayerMoved',
            data: { x: i, y: v, z: 0, heading: 0, seq: v + i },
            metadata: { eventId: randomUUID(), correlationId: 'bulk', causationId: 'bulk' },
            recordedAt: new Date(start + v + i),
          })),
        );
      }
      const monitor = server.running.app.get(ExportMonitor);
      const { response, abort } = await openStream(`${server.url}/players/${max.player.id}/movements`, boss.token, 'application/x-ndjson');
      try {
        expect(response.statusCode).toBe(200);
        await new Promise((resolve) => response.once('data', resolve));
        response.pause();
        const record = monitor.latest()!;
        expect(record.state).toBe('streaming');
        // Paused: once the socket buffers (and the one batch read ahead) are full, the server
        // stops reading batches. "Stopped" = the count did not move over three looks.
        let read = -1;
        let still = 0;
        await eventually(async () => {
          still = record.events === read ? still + 1 : 0;
          read = record.events;
          if (still < 3) await sleep(400);
          return still >= 3;
        }, 30_000, 'reads to stop while the client is paused');
        expect(read).toBeGreaterThan(0);
        expect(read).toBeLessThan(total);

        abort();
        await eventually(() => record.state !== 'streaming', 10_000, 'the export to end');
        expect(record.state).toBe('aborted');
        // Nothing more is read once the client is gone (a read would still be counted).
        await sleep(500);
        expect(record.events).toBe(read);
      } finally {
        abort(); // a failed expectation must not leave the export (and the server) waiting
      }
      expect(monitor.streaming).toBe(0);
    });
  });

  describe('roles', () => {
    it('answers 401 without a valid token', async () => {
      const who = await registerAndLogin(server.url);
      for (const path of ['/players', `/players/${who.player.id}/position`, `/players/${who.player.id}/movements`, '/movements', '/world/snapshot']) {
        const none = await get(`${server.url}${path}`);
        expect(none.status).toBe(401);
        expect(none.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/access token/) });
        expect((await get(`${server.url}${path}`, 'not.a.token')).status).toBe(401);
        expect((await get(`${server.url}${path}`, `${who.token}x`)).status).toBe(401);
      }
    });

    it('lets a player read only their own position and history', async () => {
      const me = await registerAndLogin(server.url);
      const other = await registerAndLogin(server.url);
      await moves(me, [{ x: 1, y: 1, seq: 1 }]);
      await moves(other, [{ x: 2, y: 2, seq: 1 }]);
      expect((await get(`${server.url}/players/${me.player.id}/position`, me.token)).status).toBe(200);
      expect((await get(`${server.url}/players/${me.player.id}/movements`, me.token)).body.items).toHaveLength(1);
      expect((await get(`${server.url}/movements?players=${me.player.id}`, me.token)).status).toBe(200);
      expect((await get(`${server.url}/players/${me.player.id}/movements`, me.token, 'application/x-ndjson')).status).toBe(200);
      for (const path of [
        `/players/${other.player.id}/position`,
        `/players/${other.player.id}/movements`,
        `/players/${randomUUID()}/movements`,
        `/movements?players=${other.player.id}`,
        `/movements?players=${me.player.id},${other.player.id}`,
        '/movements',
        '/players',
        '/world/snapshot',
      ]) {
        const res = await get(`${server.url}${path}`, me.token);
        expect([path, res.status]).toEqual([path, 403]);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      expect((await get(`${server.url}/players/${other.player.id}/movements`, me.token, 'text/csv')).status).toBe(403);
    });

    it('reads the role per request: a grant or a revoke applies to tokens already issued', async () => {
      const nia = await registerAndLogin(server.url);
      expect((await get(`${server.url}/players`, nia.token)).status).toBe(403);
      await runRoleCommand(server.running.app, 'grant', [nia.player.username, 'analyst']);
      expect((await get(`${server.url}/players`, nia.token)).status).toBe(200);
      await runRoleCommand(server.running.app, 'revoke', [nia.player.username, 'analyst']);
      expect((await get(`${server.url}/players`, nia.token)).status).toBe(403);
    });
  });

  describe('bad parameters', () => {
    let subject: LoggedIn;
    let otherMove: number;
    let ownMove: number;
    beforeAll(async () => {
      subject = await registerAndLogin(server.url);
      const other = await registerAndLogin(server.url);
      await moves(subject, [{ x: 1, y: 1 }]);
      await moves(other, [{ x: 1, y: 1 }]);
      ownMove = (await recorded(server, [subject.player.id]))[0].position;
      otherMove = (await recorded(server, [other.player.id]))[0].position;
    });

    it.each([
      ['from=yesterday', /from must be one ISO 8601 instant/],
      ['from=2025-02-30', /from must be one ISO 8601 instant/],
      ['to=2025-11-26T10:00:00', /to must be one ISO 8601 instant.*needs Z or an offset/],
      ['to=1764151200000', /to must be one ISO 8601 instant/],
      ['from=2025-11-26T10:00:00Z&to=2025-11-26T09:00:00Z', /from \(2025-11-26T10:00:00.000Z\) is after to \(2025-11-26T09:00:00.000Z\)/],
      ['from=2025-11-26&from=2025-11-27', /from must be one ISO 8601 instant/],
      ['limit=0', /limit must be a whole number from 1 to 10000/],
      ['limit=10001', /limit must be a whole number from 1 to 10000/],
      ['limit=-1', /limit must be a whole number from 1 to 10000/],
      ['limit=2.5', /limit must be a whole number from 1 to 10000/],
      ['limit=many', /limit must be a whole number from 1 to 10000/],
      ['after=abc', /after must be a cursor/],
      ['after=0', /after must be a cursor/],
      ['after=99999999999999999999', /after must be a cursor/],
      ['after=9223372036854775807', /no movement at position 9223372036854775807/],
      ['sort=desc', /property sort should not exist/],
    ])('GET /players/:id/movements?%s → 400', async (query, message) => {
      const res = await get(`${server.url}/players/${subject.player.id}/movements?${query}`, boss.token);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    });

    it('refuses a cursor that is not a movement of the requested player, or not a movement at all', async () => {
      const foreign = await get(`${server.url}/players/${subject.player.id}/movements?after=${otherMove}`, boss.token);
      expect(foreign.status).toBe(400);
      expect(foreign.body.message).toMatch(/not one of the requested player/);
      const [{ position }] = await server.dataSource.query(
        `SELECT global_position::int AS position FROM events WHERE stream_id = $1 ORDER BY stream_version LIMIT 1`,
        [`player-${subject.player.id}`],
      );
      const lifecycle = await get(`${server.url}/movements?after=${position}`, boss.token);
      expect(lifecycle.status).toBe(400);
      expect(lifecycle.body.message).toMatch(new RegExp(`no movement at position ${position}`));
      expect((await get(`${server.url}/players/${subject.player.id}/movements?after=${ownMove}`, boss.token)).status).toBe(200);
    });

    it.each([
      ['players=nope', /players: "nope" is not a player id/],
      ['players=', /players must be comma-separated player ids/],
      ['players=a,,b', /players must be comma-separated player ids/],
      ['limit=100000', /limit must be a whole number/],
      ['to=soon', /to must be one ISO 8601 instant/],
    ])('GET /movements?%s → 400', async (query, message) => {
      const res = await get(`${server.url}/movements?${query}`, boss.token);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    });

    it('takes a players list of 1,000 ids in the URL, refuses 1,001 with 400, and a head over MAX_HTTP_HEADER_BYTES with JSON', async () => {
      const ids = Array.from({ length: 1_001 }, () => randomUUID());
      // ~37 KB of URL: over Node.js's own 16 KB limit, within MAX_HTTP_HEADER_BYTES.
      const thousand = await get(`${server.url}/movements?players=${ids.slice(0, 1_000).join(',')}`, boss.token);
      expect(thousand.status).toBe(404);
      expect(thousand.body.message).toMatch(/^no players with ids /);
      const tooMany = await get(`${server.url}/movements?players=${ids.join(',')}`, boss.token);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toBe('players: at most 1000 ids per request; got 1001');
      const overLimit = await fetch(`${server.url}/movements?players=${ids.slice(0, 1_000).join(',')}`, {
        headers: { authorization: `Bearer ${boss.token}`, 'x-padding': 'x'.repeat(30_000) },
      });
      expect(overLimit.status).toBe(431);
      expect(await overLimit.json()).toEqual({
        statusCode: 431,
        error: 'Request Header Fields Too Large',
        message: expect.stringContaining('MAX_HTTP_HEADER_BYTES (65536 bytes)'),
      });
    });

    it('GET /world/snapshot with a bad instant → 400', async () => {
      for (const q of ['at=now', 'at=2025-11-26T25:00:00Z', 'at=2025-11-26&at=2025-11-27', 'when=2025-11-26']) {
        const res = await get(`${server.url}/world/snapshot?${q}`, boss.token);
        expect([q, res.status]).toEqual([q, 400]);
        expect(res.body.error).toBe('Bad Request');
      }
    });

    it('answers 404 for an unknown player, and for bad params on one checks the params first', async () => {
      const ghost = randomUUID();
      const res = await get(`${server.url}/players/${ghost}/movements`, boss.token);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: `no player with id ${ghost}` });
      expect((await get(`${server.url}/players/${ghost}/movements`, boss.token, 'application/x-ndjson')).status).toBe(404);
      expect((await get(`${server.url}/players/nobody/movements`, boss.token)).status).toBe(404);
      const some = await get(`${server.url}/movements?players=${subject.player.id},${ghost}`, boss.token);
      expect(some.status).toBe(404);
      expect(some.body.message).toContain(ghost);
      expect((await get(`${server.url}/players/${ghost}/movements?limit=0`, boss.token)).status).toBe(400);
    });
  });

  it('documents the endpoints in OpenAPI', async () => {
    const res = await get(`${server.url}/docs-json`);
    expect(res.status).toBe(200);
    const paths = res.body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/players', '/players/{id}/position', '/players/{id}/movements', '/movements', '/world/snapshot']),
    );
    const params = paths['/players/{id}/movements'].get.parameters.map((p: any) => p.name);
    expect(params).toEqual(expect.arrayContaining(['id', 'from', 'to', 'after', 'limit']));
    expect(paths['/movements'].get.parameters.map((p: any) => p.name)).toContain('players');
    expect(Object.keys(paths['/players/{id}/movements'].get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
    expect(res.body.components.schemas.MovementDto.required).toEqual(
      expect.arrayContaining(['id', 'playerId', 'x', 'y', 'z', 'heading', 'seq', 'at', 'position']),
    );
    // A page is JSON; the exports are text, each format with its own schema.
    for (const path of ['/players/{id}/movements', '/movements']) {
      const ok = paths[path].get.responses['200'].content;
      expect(ok['application/json'].schema).toEqual({ $ref: '#/components/schemas/MovementPageDto' });
      expect(ok['application/x-ndjson'].schema.type).toBe('string');
      expect(ok['text/csv'].schema.type).toBe('string');
    }
    expect(Object.keys(paths['/auth/register'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '409', '413']));
    expect(res.body.components.schemas.PlayerSummaryDto.properties.online.description).toMatch(/any node/);
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
  });
});
