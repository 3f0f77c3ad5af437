import { randomUUID } from 'node:crypto';
import { importEvents } from '../src/event-store';
import { analyst, get, parseCsv, sleep, untilClockPasses } from './replay-support';
import { connect, LoggedIn, registerAndLogin, sendPosition } from './support/clients';
import { HeldAppend } from './support/held-append';
import { describeOnPostgres, startTestServer, TestServer } from './support/test-server';

/** The hour the imported history lies in: far from anything the live tests record. */
const HOUR = '2025-03-01T10';
const at = (mmss: string): string => `${HOUR}:${mmss}Z`;
const FROM = at('00:00');
const TO = '2025-03-01T11:00:00Z';

interface Move {
  x: number;
  y: number;
  z?: number;
  seq?: number | null;
  at: string;
}

/** Imports a player's movements (versions from 1, in the order given) with the times given. */
async function history(server: TestServer, who: LoggedIn, moves: Move[]): Promise<void> {
  await importEvents(
    server.dataSource,
    moves.map((m, i) => ({
      streamId: `movement-${who.player.id}`,
      streamVersion: i + 1,
      type: 'PlayerMoved',
      data: { x: m.x, y: m.y, z: m.z ?? 0, heading: 0, seq: m.seq === undefined ? i + 1 : m.seq },
      metadata: { eventId: randomUUID(), correlationId: 'analytics-test', causationId: 'analytics-test' },
      recordedAt: new Date(m.at),
    })),
  );
}

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('analytics over REST: heatmap, visits, trajectory (contract v1.1, Analytics)', () => {
  let server: TestServer;
  let boss: LoggedIn; // an analyst
  let ada: LoggedIn;
  let bob: LoggedIn;
  let cy: LoggedIn;

  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '0', HEATMAP_MAX_CELLS: '6', TRAJECTORY_MAX_POINTS: '5' });
    boss = await analyst(server);
    [ada, bob, cy] = [await registerAndLogin(server.url), await registerAndLogin(server.url), await registerAndLogin(server.url)];
    await history(server, ada, [
      { x: 1, y: 1, at: '2025-03-01T09:59:59.999Z' }, // before the range
      { x: 5, y: 5, at: at('00:00') },
      { x: 15, y: 5, at: at('00:01') },
      { x: 15, y: 25, at: at('00:02') },
      { x: -5, y: -5, seq: null, at: at('00:03') },
      { x: -0.5, y: 0, z: 2, at: at('00:04.250') },
    ]);
    await history(server, bob, [
      { x: 3, y: 4, at: at('00:10') }, // 5 from the origin: on the circle of radius 5
      { x: 30, y: 40, at: at('00:20') },
      { x: 1, y: 0, at: at('00:30') },
    ]);
    await history(server, cy, [
      { x: 100, y: 100, at: at('30:00') },
      { x: 5, y: 5, at: TO }, // at `to`: outside [from, to)
    ]);
  });
  afterAll(() => server.close());

  describe('GET /world/heatmap', () => {
    it('counts the movements of [from, to) per cell, named by its lowest corner, empty cells left out', async () => {
      // Seven cells would be one more than HEATMAP_MAX_CELLS (6): read the players in two parts.
      const res = await get(`${server.url}/world/heatmap?${query({ from: FROM, to: TO, cell: '10', players: `${ada.player.id},${bob.player.id}` })}`, boss.token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        from: '2025-03-01T10:00:00.000Z',
        to: '2025-03-01T11:00:00.000Z',
        cell: 10,
        cells: [
          { x: -10, y: -10, count: 1 },
          { x: -10, y: 0, count: 1 },
          { x: 0, y: 0, count: 3 },
          { x: 10, y: 0, count: 1 },
          { x: 10, y: 20, count: 1 },
          { x: 30, y: 40, count: 1 },
        ],
      });
      const one = await get(`${server.url}/world/heatmap?${query({ from: FROM, to: TO, cell: '10', players: cy.player.id })}`, boss.token);
      expect(one.body.cells).toEqual([{ x: 100, y: 100, count: 1 }]);
    });

    it('takes any cell size, and a shorter range', async () => {
      const res = await get(`${server.url}/world/heatmap?${query({ from: FROM, to: at('00:04'), cell: '2.5', players: ada.player.id })}`, boss.token);
      expect(res.body).toEqual({
        from: '2025-03-01T10:00:00.000Z',
        to: '2025-03-01T10:00:04.000Z',
        cell: 2.5,
        cells: [
          { x: -5, y: -5, count: 1 },
          { x: 5, y: 5, count: 1 },
          { x: 15, y: 5, count: 1 },
          { x: 15, y: 25, count: 1 },
        ],
      });
      const wide = await get(`${server.url}/world/heatmap?${query({ from: FROM, to: TO, cell: '1000000' })}`, boss.token);
      // Every movement of the hour (this suite's live tests record theirs in the present).
      expect(wide.body.cells).toEqual([
        { x: -1_000_000, y: -1_000_000, count: 1 },
        { x: -1_000_000, y: 0, count: 1 },
        { x: 0, y: 0, count: 7 },
      ]);
    });

    it('answers 400 when more cells than HEATMAP_MAX_CELLS hold movements', async () => {
      const res = await get(`${server.url}/world/heatmap?${query({ from: FROM, to: TO, cell: '10' })}`, boss.token);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/more than 6 cells \(HEATMAP_MAX_CELLS\).*larger cell/);
    });

    it('counts movements that real clients recorded just now', async () => {
      const dee = await registerAndLogin(server.url);
      const eve = await registerAndLogin(server.url);
      const from = new Date(Date.now() - 60_000).toISOString();
      for (const [who, positions] of [
        [dee, [{ x: 7, y: 7, seq: 1 }, { x: 8, y: 9, seq: 2 }, { x: 12, y: -1, seq: 3 }]],
        [eve, [{ x: 9.5, y: 0.5, seq: 1 }]],
      ] as const) {
        const { socket } = await connect(server.url, who.token);
        for (const p of positions) expect(await sendPosition(socket, p)).toMatchObject({ ok: true });
        socket.close();
      }
      // A read across players ends before the millisecond it looked in: wait that millisecond out.
      await untilClockPasses(server.dataSource);
      const to = new Date(Date.now() + 60_000).toISOString();
      const res = await get(`${server.url}/world/heatmap?${query({ from, to, cell: '10', players: `${dee.player.id},${eve.player.id}` })}`, boss.token);
      expect(res.status).toBe(200);
      expect(res.body.cells).toEqual([
        { x: 0, y: 0, count: 3 },
        { x: 10, y: -10, count: 1 },
      ]);
      const trajectory = await get(`${server.url}/players/${dee.player.id}/trajectory?${query({ from, to })}`, dee.token);
      expect(trajectory.status).toBe(200);
      expect(JSON.parse(trajectory.text).geometry.coordinates).toEqual([
        [7, 7, 0],
        [8, 9, 0],
        [12, -1, 0],
      ]);
    });
  });

  describe('GET /world/visits', () => {
    it('lists who came within the radius, first and last time there, movements, closest distance, by first time', async () => {
      const res = await get(`${server.url}/world/visits?${query({ x: '0', y: '0', radius: '5', from: FROM, to: TO })}`, boss.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          { playerId: ada.player.id, username: ada.player.username, firstAt: '2025-03-01T10:00:04.250Z', lastAt: '2025-03-01T10:00:04.250Z', movements: 1, closest: 0.5 },
          { playerId: bob.player.id, username: bob.player.username, firstAt: '2025-03-01T10:00:10.000Z', lastAt: '2025-03-01T10:00:30.000Z', movements: 2, closest: 1 },
        ],
      });
      const wider = await get(`${server.url}/world/visits?${query({ x: '0', y: '0', radius: '8', from: FROM, to: TO })}`, boss.token);
      expect(wider.body.items[0]).toEqual({
        playerId: ada.player.id,
        username: ada.player.username,
        firstAt: '2025-03-01T10:00:00.000Z',
        lastAt: '2025-03-01T10:00:04.250Z',
        movements: 3,
        closest: 0.5,
      });
      // Around another point: cy's movement at `to` is outside the range.
      const far = await get(`${server.url}/world/visits?${query({ x: '100', y: '97', radius: '3', from: FROM, to: TO })}`, boss.token);
      expect(far.body.items).toEqual([expect.objectContaining({ playerId: cy.player.id, movements: 1, closest: 3, firstAt: '2025-03-01T10:30:00.000Z' })]);
      const nobody = await get(`${server.url}/world/visits?${query({ x: '0', y: '0', radius: '0.4', from: FROM, to: TO })}`, boss.token);
      expect(nobody.body).toEqual({ items: [] });
    });
  });

  describe('GET /players/:id/trajectory', () => {
    it('answers a GeoJSON Feature with a LineString of [x, y, z] and the times and seqs, as application/geo+json', async () => {
      const res = await get(`${server.url}/players/${ada.player.id}/trajectory?${query({ from: FROM, to: TO })}`, boss.token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/);
      expect(JSON.parse(res.text)).toEqual({
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [5, 5, 0],
            [15, 5, 0],
            [15, 25, 0],
            [-5, -5, 0],
            [-0.5, 0, 2],
          ],
        },
        properties: {
          playerId: ada.player.id,
          username: ada.player.username,
          times: ['2025-03-01T10:00:00.000Z', '2025-03-01T10:00:01.000Z', '2025-03-01T10:00:02.000Z', '2025-03-01T10:00:03.000Z', '2025-03-01T10:00:04.250Z'],
          seqs: [2, 3, 4, null, 6],
        },
      });
      const empty = await get(`${server.url}/players/${bob.player.id}/trajectory?${query({ from: '2025-03-02T00:00:00Z', to: '2025-03-02T01:00:00Z' })}`, boss.token);
      expect(JSON.parse(empty.text)).toEqual({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: [] },
        properties: { playerId: bob.player.id, username: bob.player.username, times: [], seqs: [] },
      });
    });

    it('answers 400 past TRAJECTORY_MAX_POINTS, and 404 for an unknown player', async () => {
      const tooMany = await get(`${server.url}/players/${ada.player.id}/trajectory?${query({ from: '2025-03-01T09:00:00Z', to: TO })}`, boss.token);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/more than 5 movements \(TRAJECTORY_MAX_POINTS\).*NDJSON or CSV/);
      const ghost = randomUUID();
      const unknown = await get(`${server.url}/players/${ghost}/trajectory?${query({ from: FROM, to: TO })}`, boss.token);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: `no player with id ${ghost}` });
      expect((await get(`${server.url}/players/nobody/trajectory?${query({ from: FROM, to: TO })}`, boss.token)).status).toBe(404);
    });
  });

  describe('exports name the player', () => {
    it('gives NDJSON a username field and CSV a username column, last', async () => {
      const url = `${server.url}/movements?${query({ players: `${ada.player.id},${bob.player.id}`, from: FROM, to: TO })}`;
      const nd = await get(url, boss.token, 'application/x-ndjson');
      const lines = nd.text.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((m) => [m.username, m.x, m.y])).toEqual([
        [ada.player.username, 5, 5],
        [ada.player.username, 15, 5],
        [ada.player.username, 15, 25],
        [ada.player.username, -5, -5],
        [ada.player.username, -0.5, 0],
        [bob.player.username, 3, 4],
        [bob.player.username, 30, 40],
        [bob.player.username, 1, 0],
      ]);
      const csv = parseCsv((await get(url, boss.token, 'text/csv')).text);
      expect(csv[0]).toEqual(['id', 'playerId', 'x', 'y', 'z', 'heading', 'seq', 'at', 'position', 'username']);
      expect(csv.slice(1).map((r) => [r[1], r[9]])).toEqual(lines.map((m) => [m.playerId, m.username]));
      // Pages keep the v1 Movement.
      const page = await get(url, boss.token);
      expect(Object.keys(page.body.items[0])).toEqual(['id', 'playerId', 'x', 'y', 'z', 'heading', 'seq', 'at', 'position']);
    });
  });

  describe('roles', () => {
    const urls = () => ({
      heatmap: `${server.url}/world/heatmap?${query({ from: FROM, to: TO, cell: '10', players: ada.player.id })}`,
      visits: `${server.url}/world/visits?${query({ x: '0', y: '0', radius: '5', from: FROM, to: TO })}`,
      own: `${server.url}/players/${ada.player.id}/trajectory?${query({ from: FROM, to: TO })}`,
      other: `${server.url}/players/${bob.player.id}/trajectory?${query({ from: FROM, to: TO })}`,
    });

    it('answers 401 without a valid token', async () => {
      for (const url of Object.values(urls())) {
        for (const token of [null, 'not-a-token']) {
          const res = await get(url, token);
          expect([url, res.status]).toEqual([url, 401]);
          expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
        }
      }
    });

    it('lets a player read only their own trajectory: heatmaps and visits are for analysts', async () => {
      const { heatmap, visits, own, other } = urls();
      for (const url of [heatmap, visits, other]) {
        const res = await get(url, ada.token);
        expect([url, res.status]).toEqual([url, 403]);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      const mine = await get(own, ada.token);
      expect(mine.status).toBe(200);
      expect(JSON.parse(mine.text).properties.playerId).toBe(ada.player.id);
    });
  });

  describe('bad parameters', () => {
    const range = `from=${FROM}&to=${TO}`;
    it.each([
      ['to=2025-03-01T11:00:00Z&cell=10', /^from is required: one ISO 8601 instant/],
      ['from=2025-03-01T10:00:00Z&cell=10', /^to is required: one ISO 8601 instant/],
      ['from=yesterday&to=2025-03-01T11:00:00Z&cell=10', /^from must be one ISO 8601 instant/],
      ['from=2025-03-01T10:00:00Z&to=2025-03-01T11:00:00&cell=10', /^to must be one ISO 8601 instant.*needs Z or an offset/],
      ['from=2025-03-01T10:00:00Z&from=2025-03-01T10:30:00Z&to=2025-03-01T11:00:00Z&cell=10', /^from must be one ISO 8601 instant/],
      ['from=2025-03-01T11:00:00Z&to=2025-03-01T11:00:00Z&cell=10', /^from \(2025-03-01T11:00:00.000Z\) must be before to \(2025-03-01T11:00:00.000Z\)/],
      ['from=2025-03-01T12:00:00Z&to=2025-03-01T11:00:00Z&cell=10', /must be before to/],
      ['from=2025-03-01T10:00:00Z&to=2025-03-02T10:00:01Z&cell=10', /longer than 24 h \(ANALYTICS_MAX_RANGE_HOURS\)/],
      ['from=0001-01-01&to=9999-12-31&cell=10', /longer than 24 h \(ANALYTICS_MAX_RANGE_HOURS\)/],
      [`${range}`, /^cell is required/],
      [`${range}&cell=0`, /^cell must be above 0; got 0$/],
      [`${range}&cell=-10`, /^cell must be above 0/],
      [`${range}&cell=ten`, /^cell must be given once, as the side of a grid cell/],
      [`${range}&cell=10&cell=20`, /^cell must be given once/],
      [`${range}&cell=1e400`, /^cell must be a finite number/],
      [`${range}&cell=1e-300`, /^cell must be at least .* world units for this world's bounds/],
      [`${range}&cell=10&players=nope`, /players: "nope" is not a player id/],
      [`${range}&cell=10&players=`, /players must be comma-separated player ids/],
      [`${range}&cell=10&sort=x`, /property sort should not exist/],
    ])('GET /world/heatmap?%s → 400', async (q, message) => {
      const res = await get(`${server.url}/world/heatmap?${q}`, boss.token);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    });

    it.each([
      ['x=0&y=0&radius=5', /^from is required/],
      [`${range}&y=0&radius=5`, /^x is required/],
      [`${range}&x=0&radius=5`, /^y is required/],
      [`${range}&x=0&y=0`, /^radius is required/],
      [`${range}&x=0&y=0&radius=0`, /^radius must be above 0/],
      [`${range}&x=0&y=0&radius=-1`, /^radius must be above 0/],
      [`${range}&x=0&y=0&radius=NaN`, /^radius must be given once, as a distance/],
      [`${range}&x=east&y=0&radius=5`, /^x must be given once, as the x of the point/],
      [`${range}&x=0&y=1e9&radius=5`, /^y must be within the world bounds, -100000 to 100000/],
      ['from=2025-03-01T10:00:00Z&to=2025-03-01T10:00:00Z&x=0&y=0&radius=5', /must be before to/],
      ['from=2025-03-01&to=2025-03-03&x=0&y=0&radius=5', /longer than 24 h/],
    ])('GET /world/visits?%s → 400', async (q, message) => {
      const res = await get(`${server.url}/world/visits?${q}`, boss.token);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    });

    it.each([
      ['', /^from is required.*; to is required/],
      ['from=2025-03-01T10:00:00Z', /^to is required/],
      ['from=2025-03-01T11:00:00Z&to=2025-03-01T10:00:00Z', /must be before to/],
      ['from=1970-01-01&to=2025-03-01', /longer than 24 h/],
      [`${range}&limit=10`, /property limit should not exist/],
    ])('GET /players/:id/trajectory?%s → 400', async (q, message) => {
      const res = await get(`${server.url}/players/${ada.player.id}/trajectory?${q}`, boss.token);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    });

    it('changes nothing recorded', async () => {
      const count = async () => (await server.dataSource.query(`SELECT count(*)::int AS n FROM events`))[0].n;
      const before = await count();
      await get(`${server.url}/world/heatmap?from=x&to=y&cell=0`, boss.token);
      await get(`${server.url}/world/visits?x=0`, boss.token);
      expect(await count()).toBe(before);
    });
  });

  it('documents the endpoints in OpenAPI, with examples that return data', async () => {
    const gil = await registerAndLogin(server.url);
    const { socket } = await connect(server.url, gil.token);
    expect(await sendPosition(socket, { x: 20.4, y: -30.2, seq: 1 })).toMatchObject({ ok: true });
    socket.close();
    await untilClockPasses(server.dataSource);
    const res = await get(`${server.url}/docs-json`);
    expect(res.status).toBe(200);
    const { paths } = res.body;
    const heatmap = paths['/world/heatmap'].get;
    const visits = paths['/world/visits'].get;
    const trajectory = paths['/players/{id}/trajectory'].get;
    expect(heatmap.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['from', 'to', 'cell', 'players']));
    expect(visits.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['x', 'y', 'radius', 'from', 'to']));
    expect(trajectory.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['id', 'from', 'to']));
    for (const op of [heatmap, visits, trajectory]) {
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
      // Each status shows its own body.
      const examples = ['400', '401', '403'].map((s) => op.responses[s].content['application/json'].example);
      expect(examples.map((e: any) => e.statusCode)).toEqual([400, 401, 403]);
    }
    expect(Object.keys(trajectory.responses['200'].content)).toEqual(['application/geo+json']);
    // Every documented error of every endpoint shows a body of its own status.
    const errorExamples = Object.entries(paths).flatMap(([route, ops]: [string, any]) =>
      Object.entries(ops).flatMap(([method, op]: [string, any]) =>
        Object.entries(op.responses)
          .filter(([status, r]: [string, any]) => Number(status) >= 400 && r.content?.['application/json'])
          .map(([status, r]: [string, any]) => [`${method} ${route} ${status}`, r.content['application/json'].example?.statusCode]),
      ),
    );
    expect(errorExamples.length).toBeGreaterThan(20);
    expect(errorExamples.filter(([where, code]) => !String(where).endsWith(` ${code}`))).toEqual([]);

    // The examples are of this server's history: the last hour, the player who moved last.
    const example = (op: any, name: string) => {
      const parameter = op.parameters.find((p: any) => p.name === name);
      return parameter.example ?? parameter.schema?.example;
    };
    const from = Date.parse(example(heatmap, 'from'));
    expect(Date.now() - from).toBeGreaterThan(3_500_000);
    expect(Date.now() - from).toBeLessThan(3_700_000);
    expect(Date.parse(example(heatmap, 'to'))).toBeGreaterThanOrEqual(Date.now() - 1_000);
    const latest = { id: gil.player.id };
    expect(example(trajectory, 'id')).toBe(latest.id);
    expect([example(visits, 'x'), example(visits, 'y')]).toEqual(['20', '-30']);
    expect(example(paths['/movements'].get, 'players')).toBe(latest.id);
    expect(example(heatmap, 'players')).toBeUndefined();
    const visited = await get(
      `${server.url}/world/visits?${query({ x: example(visits, 'x'), y: example(visits, 'y'), radius: example(visits, 'radius'), from: example(visits, 'from'), to: example(visits, 'to') })}`,
      boss.token,
    );
    expect([visited.status, visited.text]).toEqual([200, expect.stringContaining(latest.id)]);
    const tried = await get(
      `${server.url}/players/${example(trajectory, 'id')}/trajectory?${query({ from: example(trajectory, 'from'), to: example(trajectory, 'to') })}`,
      boss.token,
    );
    expect(JSON.parse(tried.text).geometry.coordinates.length).toBeGreaterThan(0);
    const snapshotAt = example(paths['/world/snapshot'].get, 'at');
    expect((await get(`${server.url}/world/snapshot?at=${snapshotAt}`, boss.token)).body.players.length).toBeGreaterThan(0);
  });
});

describeOnPostgres('analytics at the live edge (appends in flight)', () => {
  let server: TestServer;
  let boss: LoggedIn;

  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '0' });
    boss = await analyst(server);
  });
  afterAll(() => server.close());

  it('waits for an append in flight before answering a range that reaches it, and then counts it', async () => {
    const fay = await registerAndLogin(server.url);
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    // An append held open, as a slow commit holds a batch.
    const tx = await HeldAppend.begin(server.dataSource);
    try {
      await tx.append([
        {
          streamId: `movement-${fay.player.id}`,
          streamVersion: 1,
          type: 'PlayerMoved',
          data: { x: 42, y: 42, z: 0, heading: 0, seq: 1 },
          metadata: { eventId: randomUUID(), correlationId: 'analytics-test', causationId: 'analytics-test' },
        },
      ]);
      const heatmap = get(`${server.url}/world/heatmap?${query({ from, to, cell: '10' })}`, boss.token);
      const visits = get(`${server.url}/world/visits?${query({ x: '42', y: '42', radius: '1', from, to })}`, boss.token);
      let answered = false;
      void Promise.race([heatmap, visits]).then(() => (answered = true));
      await sleep(300);
      expect(answered).toBe(false);
      await tx.commit();
      const [h, v] = await Promise.all([heatmap, visits]);
      expect(h.status).toBe(200);
      expect(h.body.cells).toContainEqual({ x: 40, y: 40, count: 1 });
      expect(v.body.items).toEqual([expect.objectContaining({ playerId: fay.player.id, movements: 1, closest: 0 })]);
    } finally {
      await tx.rollback();
    }
  });
});
