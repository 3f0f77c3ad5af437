import { Browser, BrowserContext, Page } from 'playwright-core';
import { Socket } from 'socket.io-client';
import { connect, nextEvent, postJson, registerAndLogin, sendPosition, uniqueName } from './support/clients';
import {
  canvasColorFromCentre,
  countRecordedMoves,
  eventually,
  GamePage,
  holdKey,
  hudText,
  lastRecordedMove,
  launchChromium,
  openGame,
  pagePlayers,
  pagePosition,
  Place,
  submitForm,
  waitUntilPlaying,
} from './support/page-browser';
import { OnlinePlayers } from '../src/world/online-players';
import { serverSocketOf, startTestServer, TestServer } from './support/test-server';
import { CuttableLink } from './support/cuttable-link';

const PASSWORD = 'password-123';
// The page's colours (public/render.js): this player amber, the others sky blue.
const SELF_COLOR = [251, 191, 36];
const OTHER_COLOR = [56, 189, 248];

const placeOf = ({ x, y, z, heading }: Place): Place => ({ x, y, z, heading });

describe('the game page at / in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let opened: GamePage[] = [];
  const sockets: Socket[] = [];
  const track = <T extends { socket: Socket }>(c: T): T => (sockets.push(c.socket), c);

  beforeAll(async () => {
    server = await startTestServer({ BROADCAST_INTERVAL_MS: '20' });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await context.close();
    // The next test counts who is online: wait until the server has seen every session of
    // this one end (a closed page's connection can take a moment to reach it).
    const online = server.running.app.get(OnlinePlayers);
    await eventually(async () => online.others('').length, (n) => n === 0, 'every session of the test closed');
    const errors = opened.flatMap((g) => g.errors);
    opened = [];
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(): Promise<Page> {
    const game = await openGame(context, server.url);
    opened.push(game);
    return game.page;
  }

  async function registerThroughForm(page: Page, username = uniqueName('page')) {
    await submitForm(page, 'register', username, PASSWORD);
    return waitUntilPlaying(page);
  }

  /** Waits until the server's last recorded move is where the page shows the player, and returns it. */
  async function settledOnServer(page: Page, playerId: string): Promise<Place> {
    const [position] = await eventually(
      async () => [await pagePosition(page), await lastRecordedMove(server.dataSource, playerId)] as const,
      ([position, last]) => last !== null && position.x === last.x && position.y === last.y && position.heading === last.heading,
      'the last recorded move equals the page position',
    );
    return position;
  }

  it("serves the page's files at their own paths, and leaves every other path to the API", async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    const style = await fetch(`${server.url}/style.css`);
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/text\/css/);
    // Not a file: the API's JSON 404, not serve-static's.
    const missing = await fetch(`${server.url}/no-such-file.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('registers through the form, logs in and shows this player on the map', async () => {
    const page = await open();
    const username = uniqueName('page');

    const self = await registerThroughForm(page, username);

    expect(self.username).toBe(username);
    const login = await postJson(`${server.url}/auth/login`, { username, password: PASSWORD });
    expect(login.body.player.id).toBe(self.id);
    expect(await page.isHidden('#login-view')).toBe(true);
    const canvas = await page.locator('#world').boundingBox();
    expect(canvas!.width).toBeGreaterThan(300);
    expect(canvas!.height).toBeGreaterThan(300);
    // A new player starts at a spawn point near the origin, sent as the first move.
    const spawn = await settledOnServer(page, self.id);
    expect(Math.hypot(spawn.x, spawn.y)).toBeLessThanOrEqual(200);
    expect(spawn).toMatchObject({ z: 0, heading: 0 });
    expect(await hudText(page, '#who', username)).toBe(username);
    const shownSpawn = `x ${spawn.x.toFixed(1)}  y ${spawn.y.toFixed(1)}`;
    expect(await hudText(page, '#coords', shownSpawn)).toContain(shownSpawn);
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'connected');
    await eventually(() => canvasColorFromCentre(page, 0, 0), (rgb) => rgb.join() === SELF_COLOR.join(), 'own player drawn');
  });

  it('moves with held arrow keys and WASD, sending numbered moves the server records', async () => {
    const page = await open();
    const self = await registerThroughForm(page);

    const spawn = await settledOnServer(page, self.id);
    await holdKey(page, 'ArrowRight', 500);
    const east = await settledOnServer(page, self.id);
    expect(east.x).toBeGreaterThan(spawn.x);
    expect(east).toMatchObject({ y: spawn.y, z: 0, heading: 0 });

    await holdKey(page, 'w', 300);
    const north = await settledOnServer(page, self.id);
    expect(north.x).toBe(east.x);
    expect(north.y).toBeGreaterThan(east.y);
    expect(north.heading).toBeCloseTo(Math.PI / 2, 6);

    await holdKey(page, 'a', 300);
    const west = await settledOnServer(page, self.id);
    expect(west.x).toBeLessThan(north.x);
    expect(west.y).toBe(north.y);
    expect(west.heading).toBeCloseTo(Math.PI, 6);
    const westShown = `x ${west.x.toFixed(1)}  y ${west.y.toFixed(1)}  heading 180°`;
    expect(await hudText(page, '#coords', westShown)).toContain(westShown);

    // Several moves per held key, each acknowledged, seq counting up from 1 with none lost.
    const rows: { seq: number }[] = await server.dataSource.query(
      `SELECT (data->>'seq')::int AS seq FROM events WHERE stream_id = 'movement-' || $1 AND type = 'PlayerMoved' ORDER BY stream_version`,
      [self.id],
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    await page.waitForFunction((n) => (window as any).waypoint.ackedSeq === n, rows.length);

    // Standing still sends nothing.
    await page.waitForTimeout(300);
    expect(await countRecordedMoves(server.dataSource, self.id)).toBe(rows.length);
  });

  it('shows the other players, and the others see this player move', async () => {
    const early = await registerAndLogin(server.url);
    const e = track(await connect(server.url, early.token));
    await sendPosition(e.socket, { x: -200, y: 150, heading: 1, seq: 1 });
    const page = await open();
    const self = await registerThroughForm(page);
    const spawn = await settledOnServer(page, self.id);

    // From `welcome.players`.
    expect(await pagePlayers(page)).toContainEqual({ id: early.player.id, username: early.player.username, x: -200, y: 150, z: 0, heading: 1 });

    // From `player:joined`, then `players:moved`.
    const late = await registerAndLogin(server.url);
    const l = track(await connect(server.url, late.token));
    await eventually(() => pagePlayers(page), (list) => list.some((p) => p.id === late.player.id && p.username === late.player.username), 'late player joined');
    await sendPosition(l.socket, { x: 30, y: 40, z: 2, heading: 2, seq: 1 });
    await eventually(
      () => pagePlayers(page),
      (list) => list.some((p) => p.id === late.player.id && p.x === 30 && p.y === 40 && p.z === 2 && p.heading === 2),
      'late player moved',
    );
    // The state changes before the next animation frame draws it: wait for the frame.
    await eventually(
      () => canvasColorFromCentre(page, 30 - spawn.x, -(40 - spawn.y)),
      (rgb) => rgb.join() === OTHER_COLOR.join(),
      'other player drawn',
    );
    await page.waitForFunction((name) => document.getElementById('roster-list')!.textContent!.includes(name), late.player.username);
    if (process.env.PAGE_SCREENSHOT) await page.screenshot({ path: process.env.PAGE_SCREENSHOT });

    // The others see this page's player move.
    const seen = nextEvent<any[]>(l.socket, 'players:moved', (list) => list.some((m) => m.id === self.id && m.x > spawn.x));
    await holdKey(page, 'd', 500);
    const entry = (await seen).find((m) => m.id === self.id);
    expect(entry).toMatchObject({ y: spawn.y, z: 0, heading: 0, seq: expect.any(Number), t: expect.any(Number) });

    // From `player:left`.
    l.socket.close();
    await eventually(() => pagePlayers(page), (list) => !list.some((p) => p.id === late.player.id), 'late player left');
    expect((await pagePlayers(page)).map((p) => p.id)).toEqual([early.player.id]);
  });

  it('draws the other players gliding between the positions received, not jumping at each one', async () => {
    const mover = await registerAndLogin(server.url);
    const m = track(await connect(server.url, mover.token));
    const page = await open();
    await registerThroughForm(page);
    // Each animation frame: where the page drew the mover, and the latest position it received.
    await page.evaluate((id) => {
      const frames: { drawn: number; received: number }[] = [];
      (window as any).frames = frames;
      const sample = () => {
        const pose = (window as any).waypoint.drawn[id];
        const received = (window as any).waypoint.players.find((p: { id: string }) => p.id === id);
        if (pose && received) frames.push({ drawn: pose.x, received: received.x });
        if (frames.length < 3000) requestAnimationFrame(sample);
      };
      requestAnimationFrame(sample);
    }, mover.player.id);
    // A player walking east at 200 units/s, sending 20 times a second: 10 units a move.
    const acks: Promise<unknown>[] = [];
    for (let k = 0; k <= 30; k++) {
      acks.push(sendPosition(m.socket, { x: 10 * k, y: 0, seq: k + 1 }));
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(acks);
    await page.waitForFunction(() => (window as any).frames.some((f: { drawn: number }) => f.drawn === 300));
    const frames: { drawn: number; received: number }[] = await page.evaluate(() => (window as any).frames);
    const walking = frames.slice(frames.findIndex((f) => f.received > 20), frames.findIndex((f) => f.drawn === 300) + 1);
    const movesOf = (xs: number[]) => {
      const steps = xs.slice(1).map((x, i) => x - xs[i]);
      return { places: new Set(xs).size, jumps: steps.filter((d) => d >= 8).length, stills: steps.filter((d) => d < 0.05).length };
    };
    const drawn = movesOf(walking.map((f) => f.drawn));
    const received = movesOf(walking.map((f) => f.received));
    // Drawn where the positions were received, the player would stand still for a few
    // frames and then jump a whole move (10 units), at every move. Interpolated, it is drawn
    // at many more places, and jumps and stalls only where the machine itself stalled.
    expect(received.jumps).toBeGreaterThanOrEqual(20);
    expect(drawn.places).toBeGreaterThan(2 * received.places);
    expect(drawn.jumps).toBeLessThan(received.jumps / 4);
    expect(drawn.stills).toBeLessThan(received.stills / 2);
  });

  it('keeps moving through a network drop, shows the moves waiting, and sends them once it is back', async () => {
    const link = await new CuttableLink(server.running.port).start();
    try {
      const game = await openGame(context, link.url);
      opened.push(game);
      const { page } = game;
      const self = await registerThroughForm(page);
      await page.evaluate(() => {
        const shown: string[] = [];
        (window as any).statuses = shown;
        const status = document.getElementById('status')!;
        new MutationObserver(() => shown.push(status.textContent!)).observe(status, { childList: true, characterData: true, subtree: true });
      });
      await holdKey(page, 'ArrowRight', 200);
      const before = await settledOnServer(page, self.id);

      link.cut(2_500);
      await page.waitForFunction(() => (window as any).waypoint.status.startsWith('reconnecting'));
      await holdKey(page, 'ArrowUp', 500);
      await page.waitForTimeout(150); // the move after the key is released goes out too
      const waiting = await page.evaluate(() => (window as any).waypoint.waiting);
      expect(waiting).toBeGreaterThanOrEqual(5);
      expect(await page.textContent('#status')).toBe(`reconnecting…, ${waiting} moves waiting`);

      await page.waitForFunction(() => (window as any).waypoint.status === 'connected' && (window as any).waypoint.waiting === 0, null, { timeout: 20_000 });
      const back = await settledOnServer(page, self.id);
      expect(back.y).toBeGreaterThan(before.y + 100);
      const statuses: string[] = await page.evaluate(() => (window as any).statuses);
      expect(statuses).toContain(`reconnecting…, ${waiting} moves waiting`);
      expect(statuses[statuses.length - 1]).toBe('connected');
      // Every move the page numbered is recorded, once.
      const seqs: { seq: number }[] = await server.dataSource.query(
        `SELECT (data->>'seq')::int AS seq FROM events WHERE stream_id = 'movement-' || $1 AND type = 'PlayerMoved' ORDER BY stream_version`,
        [self.id],
      );
      const last = await page.evaluate(() => (window as any).waypoint.seq);
      expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      // The refused connections while the link was down are the page's only errors.
      game.errors.splice(0, game.errors.length, ...game.errors.filter((e) => !/WebSocket|ERR_CONNECTION|xhr poll error/i.test(e)));
    } finally {
      await link.close();
    }
  });

  it('fits a phone (390×844) with the map across the screen, and walks where a finger is held', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
    try {
      const game = await openGame(phone, server.url);
      opened.push(game);
      const { page } = game;
      const self = await registerThroughForm(page);
      const map = (await page.locator('#world').boundingBox())!;
      expect(map.width).toBeGreaterThanOrEqual(380);
      expect(map.height).toBeGreaterThanOrEqual(400);
      // Nothing sticks out sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

      // A finger held right of and above the player (drawn at the map's centre) for 400 ms.
      const spawn = await settledOnServer(page, self.id);
      const cdp = await phone.newCDPSession(page);
      const finger = { x: map.x + map.width / 2 + 120, y: map.y + map.height / 2 - 120 };
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [finger] });
      await page.waitForTimeout(400);
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      const moved = await settledOnServer(page, self.id);
      expect(moved.x).toBeGreaterThan(spawn.x + 30);
      expect(moved.y).toBeGreaterThan(spawn.y + 30);
      expect(moved.heading).toBeCloseTo(Math.PI / 4, 1);
      // Released: the player stays.
      await page.waitForTimeout(200);
      expect(await pagePosition(page)).toEqual(placeOf(moved));
    } finally {
      await phone.close();
    }
  });

  it('connects over WebSocket, and falls back to long-polling where WebSocket cannot connect', async () => {
    // The transport the connection began on (the handshake's query names it) and the one it uses now.
    const transportsOf = (playerId: string) => {
      const socket = serverSocketOf(server, playerId);
      return socket && { began: socket.handshake.query.transport, now: socket.conn.transport.name };
    };

    const direct = await registerThroughForm(await open());
    expect(transportsOf(direct.id)).toEqual({ began: 'websocket', now: 'websocket' });

    // A network that refuses WebSocket: every WebSocket this context opens goes to a closed port.
    const blocked = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    try {
      await blocked.addInitScript(() => {
        const RealWebSocket = window.WebSocket;
        window.WebSocket = class extends RealWebSocket {
          constructor(_url: string | URL, protocols?: string | string[]) {
            super('ws://127.0.0.1:1/', protocols);
          }
        } as typeof WebSocket;
      });
      const game = await openGame(blocked, server.url);
      const self = await registerThroughForm(game.page);
      expect(transportsOf(self.id)).toEqual({ began: 'polling', now: 'polling' });
      const spawn = await settledOnServer(game.page, self.id);
      await holdKey(game.page, 'ArrowRight', 300);
      const east = await settledOnServer(game.page, self.id);
      expect(east.x).toBeGreaterThan(spawn.x);
      // The refused WebSocket is the one error this page may log.
      expect(game.errors.filter((e) => !e.includes('ws://127.0.0.1:1/'))).toEqual([]);
      // Log out before the context goes: a long-polling page that simply vanishes may have
      // no request open at that moment, and the server then notices only at the heartbeat
      // timeout (~45 s), long after the next test counts who is online.
      await game.page.click('#logout');
      await eventually(async () => transportsOf(self.id), (t) => t === undefined, 'the polling session closed by logging out');
    } finally {
      await blocked.close();
    }
  });

  it("shows the server's message for a wrong password, a taken username and an invalid one", async () => {
    const existing = await registerAndLogin(server.url);
    const page = await open();
    const messageContains = (text: string) =>
      page.waitForFunction((t) => {
        const message = document.getElementById('form-message')!;
        return !message.hidden && message.textContent!.includes(t);
      }, text);

    await submitForm(page, 'login', existing.player.username, 'wrong-password');
    await messageContains('invalid username or password');

    await submitForm(page, 'register', existing.player.username, PASSWORD);
    await messageContains(`username "${existing.player.username}" is taken`);

    await submitForm(page, 'register', 'ab', PASSWORD);
    await messageContains('username must be 3–32 characters');

    expect(await page.isVisible('#login-form')).toBe(true);
    expect(await page.isHidden('#game-view')).toBe(true);
    expect(await page.evaluate(() => (window as any).waypoint.self)).toBeNull();
  });

  it('keeps the login over a reload and goes on in the same client session, recording no move twice', async () => {
    const page = await open();
    const username = uniqueName('page');
    const self = await registerThroughForm(page, username);
    const spawn = await settledOnServer(page, self.id);
    await holdKey(page, 'ArrowUp', 300);
    await holdKey(page, 'ArrowLeft', 300);
    await settledOnServer(page, self.id);
    const last = (await lastRecordedMove(server.dataSource, self.id))!;
    expect(last.x).toBeLessThan(spawn.x);
    expect(last.y).toBeGreaterThan(spawn.y);
    const clientSession = serverSocketOf(server, self.id)!.handshake.auth.clientSession;
    expect(clientSession).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

    // Straight back into the game, where the server has the player, in the same client session.
    await page.reload();
    await waitUntilPlaying(page);
    expect(await page.isHidden('#login-form')).toBe(true);
    expect(await pagePosition(page)).toEqual(placeOf(last));
    const shown = `x ${last.x.toFixed(1)}  y ${last.y.toFixed(1)}`;
    expect(await hudText(page, '#coords', shown)).toContain(shown);
    await eventually(async () => serverSocketOf(server, self.id)?.handshake.auth.clientSession, (cs) => cs === clientSession, 'the reloaded page in the same client session');

    // Its seqs go on from there: every move recorded once, in order.
    await holdKey(page, 'ArrowRight', 300);
    await settledOnServer(page, self.id);
    const rows: { seq: number }[] = await server.dataSource.query(
      `SELECT (data->>'seq')::int AS seq FROM events WHERE stream_id = 'movement-' || $1 AND type = 'PlayerMoved' ORDER BY stream_version`,
      [self.id],
    );
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows.length).toBeGreaterThan(last.seq!);

    // Logging out forgets the login: the next load shows the form, and logging in starts where the player was.
    const before = (await lastRecordedMove(server.dataSource, self.id))!;
    await page.click('#logout');
    await page.reload();
    await page.locator('#login-form').waitFor();
    expect(await page.evaluate(() => (window as any).waypoint.self)).toBeNull();
    await submitForm(page, 'login', username, PASSWORD);
    await waitUntilPlaying(page);
    expect(await pagePosition(page)).toEqual(placeOf(before));
  });

  it('says "signed in elsewhere" when another session takes over, and stops sending', async () => {
    const page = await open();
    const username = uniqueName('page');
    const self = await registerThroughForm(page, username);
    await settledOnServer(page, self.id); // the spawn point, its first move
    const { body } = await postJson(`${server.url}/auth/login`, { username, password: PASSWORD });

    track(await connect(server.url, body.accessToken));

    await page.locator('#banner').waitFor({ state: 'visible' });
    expect(await page.textContent('#banner')).toContain('Signed in elsewhere');
    expect(await page.textContent('#status')).toBe('signed in elsewhere');
    await holdKey(page, 'ArrowRight', 300);
    await page.waitForTimeout(200);
    expect(await countRecordedMoves(server.dataSource, self.id)).toBe(1);

    await page.click('#banner-login');
    expect(await page.isVisible('#login-form')).toBe(true);
  });

  it('returns to the login form when the server refuses the token', async () => {
    const page = await open();
    await page.route('**/auth/login', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), accessToken: 'not-a-valid-token' } });
    });

    await submitForm(page, 'register', uniqueName('page'), PASSWORD);

    await page.waitForFunction(() => {
      const message = document.getElementById('form-message')!;
      return !message.hidden && message.textContent!.includes('unauthorized');
    });
    expect(await page.isVisible('#login-form')).toBe(true);
    expect(await page.isHidden('#game-view')).toBe(true);
  });
});

describe('the game page in a small world (WORLD_MIN=-50, WORLD_MAX=50, 10 moves/s)', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ WORLD_MIN: '-50', WORLD_MAX: '50', RATE_LIMIT_PER_SECOND: '10', RATE_LIMIT_BURST: '10', BROADCAST_INTERVAL_MS: '20' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('takes the world bounds from welcome.world and stops at the border', async () => {
    const context = await browser.newContext();
    try {
      const { page, errors } = await openGame(context, server.url);
      await submitForm(page, 'register', uniqueName('page'), PASSWORD);
      const self = await waitUntilPlaying(page);
      expect(await page.evaluate(() => (window as any).waypoint.bounds)).toEqual({ min: -50, max: 50, cellSize: null });

      await holdKey(page, 'ArrowRight', 350); // 140 units at 400/s: past the border, were it not for it
      await eventually(
        async () => [await pagePosition(page), await lastRecordedMove(server.dataSource, self.id)] as const,
        ([p, last]) => p.x === 50 && last?.x === 50,
        'the page and the server at the border',
      );
      expect(await page.textContent('#status')).toBe('connected');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows a rejected move in the status line and steps back to the last accepted position', async () => {
    const context = await browser.newContext();
    try {
      const { page, errors } = await openGame(context, server.url);
      await submitForm(page, 'register', uniqueName('page'), PASSWORD);
      const self = await waitUntilPlaying(page);

      // 20 moves a second against a limit of 10: once the burst is spent, moves are refused.
      // Back and forth, so that the border does not stop the moves.
      const refused = () => page.evaluate(() => (window as any).waypoint.status.includes('rate_limited'));
      for (let i = 0; i < 40 && !(await refused()); i++) await holdKey(page, i % 2 ? 'ArrowDown' : 'ArrowUp', 100);

      expect(await page.textContent('#status')).toMatch(/\(rate_limited\)/);
      const position = await eventually(
        async () => [await pagePosition(page), await lastRecordedMove(server.dataSource, self.id)] as const,
        ([p, last]) => p.y === (last?.y ?? 0),
        'the page is back at the last accepted position',
      );
      expect(Math.abs(position[0].y)).toBeLessThanOrEqual(50);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
